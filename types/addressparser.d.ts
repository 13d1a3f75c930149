/** Types for addressparser 1.0.1, which ships none. */
declare module 'addressparser' {
  namespace addressparser {
    /** One mailbox; `address` is empty when the text held none. */
    interface ParsedMailbox {
      name: string;
      address: string;
    }
    /** RFC 5322 group syntax (`name: a@b, c@d;`), members already parsed. */
    interface ParsedGroup {
      name: string;
      group: ParsedAddress[];
    }
    type ParsedAddress = ParsedMailbox | ParsedGroup;
  }
  /** Parses an address-list field value; encoded words in names are left as they are. */
  function addressparser(value: string): addressparser.ParsedAddress[];
  export = addressparser;
}
