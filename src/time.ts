/** A time as D1's rows hold it: ISO 8601 in UTC to the millisecond, which sorts as text in time order. */
export const iso = (ms: number): string => new Date(ms).toISOString();
