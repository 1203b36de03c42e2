/**
 * The `inferlib:environment/runtime` interface, in-process: each function is the host's
 * `inferlet:core/runtime` function of the same name.
 */
export { getArguments, getInstanceId, getVersion, setReturn } from 'inferlet:core/runtime';
