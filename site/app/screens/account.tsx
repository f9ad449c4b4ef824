// Opening the brokerage account: the KYC form, each API field error under its own input.
import { api, send } from "../api";
import { Check, Field, Form, Notice, Select, optional, text } from "../ui";

const STATES = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI".split(" ");
const SOURCES = [
  ["employment_income", "Employment income"],
  ["savings", "Savings"],
  ["investments", "Investments"],
  ["inheritance", "Inheritance"],
  ["business_income", "Business income"],
  ["family", "Family"],
] as const;
const DISCLOSURES = [
  ["is_control_person", "I am a director, 10% shareholder or policy-making officer of a listed company"],
  ["is_affiliated_exchange_or_finra", "I am affiliated with a stock exchange or FINRA"],
  ["is_politically_exposed", "I am a senior political figure"],
  ["immediate_family_exposed", "An immediate family member is a senior political figure"],
] as const;

type AccountView = { status: string };
/** The body as the API's route types it: a changed field breaks this build. */
type Opening = Parameters<typeof api.platform.accounts.$post>[0]["json"];

export function OpenAccount({ onOpened }: { onOpened: (account: AccountView) => void }) {
  return (
    <section aria-labelledby="open-title">
      <h1 id="open-title">Open your brokerage account</h1>
      <p>The broker needs these details by law to open an account. Your tax id and date of birth go to the broker only; this app keeps the last 4 digits of the tax id.</p>
      <Form
        label="Open a brokerage account"
        submit="Open my account"
        // An error about a whole list goes beside its first box.
        fieldsFor={(fields) => ({ ...fields, [`identity.funding_source.${SOURCES[0]![0]}`]: fields["identity.funding_source"] ?? "", customer_agreement: fields.agreements ?? "" })}
        onSend={async (values) => {
          const unit = optional(values, "contact.unit");
          const checked = (name: string) => values.get(name) !== null;
          const agreements = (["customer_agreement", "margin_agreement"] as const).filter((name) => checked(name));
          const account = await send(
            api.platform.accounts.$post({
              json: {
                contact: {
                  phone_number: text(values, "contact.phone_number").replace(/[\s().-]/g, ""),
                  street_address: [text(values, "contact.street_address.0")],
                  ...(unit ? { unit } : {}),
                  city: text(values, "contact.city"),
                  state: text(values, "contact.state") as Opening["contact"]["state"],
                  postal_code: text(values, "contact.postal_code"),
                },
                identity: {
                  given_name: text(values, "identity.given_name"),
                  family_name: text(values, "identity.family_name"),
                  date_of_birth: text(values, "identity.date_of_birth"),
                  tax_id: text(values, "identity.tax_id"),
                  tax_id_type: text(values, "identity.tax_id_type") as Opening["identity"]["tax_id_type"],
                  country_of_citizenship: text(values, "identity.country_of_citizenship").toUpperCase(),
                  country_of_birth: text(values, "identity.country_of_birth").toUpperCase(),
                  country_of_tax_residence: "USA",
                  funding_source: SOURCES.map(([source]) => source).filter((source) => checked(`identity.funding_source.${source}`)),
                },
                disclosures: {
                  is_control_person: checked("disclosures.is_control_person"),
                  is_affiliated_exchange_or_finra: checked("disclosures.is_affiliated_exchange_or_finra"),
                  is_politically_exposed: checked("disclosures.is_politically_exposed"),
                  immediate_family_exposed: checked("disclosures.immediate_family_exposed"),
                },
                agreements,
              },
            }),
          );
          onOpened(account);
        }}
      >
        <fieldset>
          <legend>About you</legend>
          <Field name="identity.given_name" label="First name" autocomplete="given-name" required />
          <Field name="identity.family_name" label="Last name" autocomplete="family-name" required />
          <Field name="identity.date_of_birth" label="Date of birth" type="date" autocomplete="bday" required />
          <Select name="identity.tax_id_type" label="Tax id type" options={[["USA_SSN", "Social security number"], ["USA_ITIN", "ITIN"]]} />
          <Field name="identity.tax_id" label="Tax id" inputmode="numeric" autocomplete="off" hint="9 digits, as 123-45-6789." required />
          <Field name="identity.country_of_citizenship" label="Citizenship (3-letter country code)" value="USA" autocomplete="country" required />
          <Field name="identity.country_of_birth" label="Country of birth (3-letter country code)" value="USA" required />
        </fieldset>
        <fieldset>
          <legend>Where the money comes from</legend>
          {SOURCES.map(([source, label]) => (
            <Check name={`identity.funding_source.${source}`} label={label} />
          ))}
        </fieldset>
        <fieldset>
          <legend>Address and phone</legend>
          <Field name="contact.street_address.0" label="Street address" autocomplete="address-line1" required />
          <Field name="contact.unit" label="Apartment, suite (optional)" autocomplete="address-line2" />
          <Field name="contact.city" label="City" autocomplete="address-level2" required />
          <Select name="contact.state" label="State" options={STATES.map((state) => [state, state])} value="CA" />
          <Field name="contact.postal_code" label="ZIP code" inputmode="numeric" autocomplete="postal-code" required />
          <Field name="contact.phone_number" label="Phone" type="tel" autocomplete="tel" hint="With the country code, as +1 555 555 0100." required />
        </fieldset>
        <fieldset>
          <legend>Disclosures</legend>
          {DISCLOSURES.map(([name, label]) => (
            <Check name={`disclosures.${name}`} label={label} />
          ))}
        </fieldset>
        <fieldset>
          <legend>Agreements</legend>
          <Check name="customer_agreement" label="I accept the customer agreement" />
          <Check name="margin_agreement" label="I accept the margin agreement (optional)" />
        </fieldset>
      </Form>
    </section>
  );
}

/** The account while the broker reviews it. */
export function AccountPending({ account }: { account: AccountView }) {
  return (
    <section aria-labelledby="pending-title">
      <h1 id="pending-title">Your account is being opened</h1>
      <Notice>
        Status: <strong data-testid="account-status">{account.status}</strong>. The broker checks the details; this page moves on by itself when the account is active.
      </Notice>
    </section>
  );
}
