// The brokerage routes' request bodies. Messages name the rule, never the value sent: a body carries a
// tax id, a date of birth and an address, and a problem body repeats messages.
import * as z from "zod/mini";
import { StepUpFields } from "./requests";

/**
 * A body whose every field is known: an unknown one (an email, a tax field where only the contact may
 * change) is refused, named when it is shaped like a field name, never repeating a value.
 */
const only = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return "must be an object";
      const names = issue.keys.filter((key) => /^[a-z_]{1,64}$/.test(key));
      return names.length === issue.keys.length ? `unknown field${names.length > 1 ? "s" : ""}: ${names.join(", ")}` : "unknown fields";
    },
  });

const text = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).check(
    z.trim(),
    z.minLength(1, { error: `${field} must not be empty` }),
    z.maxLength(max, { error: `${field} must be at most ${max} characters` }),
  );

/** The 50 states, DC, and the territories with US postal service. */
const US_STATES = [
  "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
  "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC",
  "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI",
] as const;

const Contact = {
  phone_number: z.string({ error: "phone_number must be a string" }).check(
    z.regex(/^\+[1-9]\d{7,14}$/, { error: "phone_number must be in international format, e.g. +15555550100" }),
  ),
  street_address: z
    .array(text("street_address", 64), { error: "street_address must be an array of lines" })
    .check(z.minLength(1, { error: "street_address needs at least one line" }), z.maxLength(3, { error: "street_address has at most 3 lines" })),
  unit: z.optional(text("unit", 32)),
  city: text("city", 64),
  state: z.enum(US_STATES, { error: "state must be a US state or territory code, e.g. CA" }),
  postal_code: z.string({ error: "postal_code must be a string" }).check(
    z.regex(/^\d{5}(-\d{4})?$/, { error: "postal_code must be a US ZIP code: 5 digits, or 5+4" }),
  ),
};

/** An adult's date of birth: a real calendar date, 18 years ago or more, and at most 120. */
export function isAdultBirthDate(date: string, now = new Date()): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const born = new Date(Date.UTC(year, month - 1, day));
  if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) return false;
  const eighteenth = new Date(Date.UTC(year + 18, month - 1, day));
  return eighteenth.getTime() <= now.getTime() && now.getUTCFullYear() - year <= 120;
}

/** The formats of the tax id types a US account takes; the area numbers are the Broker API's to judge. */
const TAX_ID_FORMATS = {
  USA_SSN: /^\d{3}-?\d{2}-?\d{4}$/,
  USA_ITIN: /^9\d{2}-?(5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9])-?\d{4}$/,
} as const;

const Identity = only({
  given_name: text("given_name", 64),
  family_name: text("family_name", 64),
  date_of_birth: z.string({ error: "date_of_birth must be a string" }).check(
    z.refine((date) => isAdultBirthDate(date), { error: "date_of_birth must be a date (YYYY-MM-DD) at least 18 years ago" }),
  ),
  tax_id: z.string({ error: "tax_id must be a string" }),
  tax_id_type: z.enum(["USA_SSN", "USA_ITIN"], { error: "tax_id_type must be USA_SSN or USA_ITIN" }),
  country_of_citizenship: z.string().check(z.regex(/^[A-Z]{3}$/, { error: "country_of_citizenship must be an ISO 3166 alpha-3 code, e.g. USA" })),
  country_of_birth: z.string().check(z.regex(/^[A-Z]{3}$/, { error: "country_of_birth must be an ISO 3166 alpha-3 code, e.g. USA" })),
  // A US tax id: the tax residence is the US.
  country_of_tax_residence: z.literal("USA", { error: "country_of_tax_residence must be USA" }),
  funding_source: z
    .array(z.enum(["employment_income", "investments", "inheritance", "business_income", "savings", "family"], { error: "funding_source has an unknown source" }))
    .check(z.minLength(1, { error: "funding_source needs at least one source" }), z.maxLength(6)),
}).check(
  z.superRefine((identity, ctx) => {
    if (!TAX_ID_FORMATS[identity.tax_id_type].test(identity.tax_id)) {
      ctx.issues.push({ code: "custom", path: ["tax_id"], message: `tax_id must be a ${identity.tax_id_type === "USA_SSN" ? "social security number: 9 digits, as 123-45-6789" : "ITIN: 9 digits starting with 9, as 912-70-1234"}`, input: "" });
    }
  }),
);

const Disclosures = only({
  is_control_person: z.boolean({ error: "is_control_person must be true or false" }),
  is_affiliated_exchange_or_finra: z.boolean({ error: "is_affiliated_exchange_or_finra must be true or false" }),
  is_politically_exposed: z.boolean({ error: "is_politically_exposed must be true or false" }),
  immediate_family_exposed: z.boolean({ error: "immediate_family_exposed must be true or false" }),
});

/** What a user may accept; customer_agreement always. */
export const AGREEMENTS = ["customer_agreement", "margin_agreement", "crypto_agreement", "options_agreement"] as const;

const Agreements = z
  .array(z.enum(AGREEMENTS, { error: `agreements may name only ${AGREEMENTS.join(", ")}` }), { error: "agreements must be an array of names" })
  .check(
    z.refine((names) => names.includes("customer_agreement"), { error: "agreements must include customer_agreement" }),
    z.refine((names) => new Set(names).size === names.length, { error: "agreements names each agreement once" }),
  );

/** POST /platform/accounts. The email is not here: it is the user's own, from Cognito. */
export const OpenAccount = only({
  contact: only(Contact),
  identity: Identity,
  disclosures: Disclosures,
  agreements: Agreements,
});
/** What a user opening an account sends: the account without its email and the agreements' stamps. */
export type OpenAccount = z.output<typeof OpenAccount>;

/** PATCH /platform/accounts/me: contact details only, at least one; identity, tax fields and the email are refused. */
/** A change of the address or phone of record: where statements go, so with the step up (schemas/requests.ts StepUpFields). */
export const ChangeContact = only({
  ...StepUpFields,
  contact: only({
    phone_number: z.optional(Contact.phone_number),
    street_address: z.optional(Contact.street_address),
    unit: z.optional(Contact.unit),
    city: z.optional(Contact.city),
    state: z.optional(Contact.state),
    postal_code: z.optional(Contact.postal_code),
  }).check(z.refine((contact) => Object.keys(contact).length > 0, { error: "contact must change at least one field" })),
});
