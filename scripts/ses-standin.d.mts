export const LOCAL_FROM_ADDRESS: string;
export interface SesStandin {
  url: string;
  stop(): Promise<void>;
}
export function startSesStandin(options?: { port?: number; log?: (line: string) => void }): Promise<SesStandin>;
export function sesStandinVars(url: string): { SES_ENDPOINT: string; SES_FROM_ADDRESS: string };
