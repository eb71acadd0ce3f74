/** @switchyard/openfeature — an OpenFeature server Provider backed by the Switchyard runtime. */
export { SwitchyardProvider, openFeatureKeys, type SwitchyardProviderOptions } from './provider.ts';
