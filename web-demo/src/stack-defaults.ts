/**
 * Defaults handed to the demo by `npm start` (the local stack): the log URL and
 * the policy, baked in at serve time through Vite's `define`. Absent (null)
 * in a plain build, where the user types them.
 */
declare const __SIGSUM_STACK__: { logUrl: string; policy: string } | null;

/** The local stack's log URL and policy, if the demo was started by `npm start`. */
export const stackDefaults: { logUrl: string; policy: string } | null = typeof __SIGSUM_STACK__ === 'undefined' ? null : __SIGSUM_STACK__;
