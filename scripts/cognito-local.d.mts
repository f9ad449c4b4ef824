export interface Emulator {
  endpoint: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}
export interface PoolIds {
  userPoolId: string;
  clientId: string;
}
export function freePort(): Promise<number>;
export function startCognitoLocal(options: { dir: string; port: number; code?: string; quiet?: boolean }): Promise<Emulator>;
export function cognitoCall(endpoint: string, action: string, input: object): Promise<any>;
export function ensurePoolAndClient(endpoint: string, stateFile: string): Promise<PoolIds>;
export function emulatorVars(endpoint: string, ids: PoolIds): Record<string, string>;
