// The harness's name for the shared exit-code table (common/errors.ts is the one definition).
export { EXIT, FlexbenchError, INTERNAL_ERROR, type ExitCode } from '../common/errors.js';
