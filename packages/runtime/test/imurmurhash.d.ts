// Types for the dev-only reference implementation the bucketing test compares against.
declare module 'imurmurhash' {
  interface MurmurHash3State {
    hash(input: string): MurmurHash3State;
    result(): number;
    reset(seed?: number): MurmurHash3State;
  }
  function MurmurHash3(input?: string, seed?: number): MurmurHash3State;
  export default MurmurHash3;
}
