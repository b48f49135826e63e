/**
 * The demo's one door to the SDK for functions whose modules are still being
 * written: looks an export up by name at run time and fails with a clear message
 * when this build of the SDK does not have it yet.
 */
import * as sdk from '@sigsum-kit/sdk';

const exportsByName = sdk as unknown as Record<string, unknown>;

/** The SDK export `name`, or an Error naming what is missing. */
export function sdkExport<T>(name: string): T {
  const v = exportsByName[name];
  if (v === undefined) throw new Error(`this build of the SDK has no ${name} yet`);
  return v as T;
}

/** Whether the SDK has export `name`. */
export function hasSdkExport(name: string): boolean {
  return exportsByName[name] !== undefined;
}
