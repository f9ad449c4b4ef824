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
export function portTaken(port: number): Promise<boolean>;
export interface CodeDelivery {
  /** e.g. "password reset code" */
  kind: string;
  code: string;
  /** The email (or, failing that, the username) the code was for. */
  destination: string;
}
export function startCognitoLocal(options: {
  dir: string;
  port: number;
  code?: string;
  onCodeDelivery?: (delivery: CodeDelivery) => void;
}): Promise<Emulator>;
export function cognitoCall(endpoint: string, action: string, input: object): Promise<any>;
export function ensurePoolAndClient(endpoint: string, stateFile: string): Promise<PoolIds>;
export function emulatorVars(endpoint: string, ids: PoolIds): Record<string, string>;
