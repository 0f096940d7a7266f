// Validate: load, check and compile the policies (`rudder validate`; every other entry starts here).
export { validate, type ValidateOptions, type ValidateResult } from '../source/validate.ts';
