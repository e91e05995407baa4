/** Who must have signed. Every shell builds one of these; verification without one is refused. */
export type Policy =
  | {
      method: 'key';
      publicKey: string /* PEM */;
      /** A name for the key shown in reports ("Acme release key"); a label only, never checked. */
      keyName?: string;
    }
  | {
      method: 'certificate';
      anchors: string[] /* PEM, each may hold several certificates */;
      /**
       * A timestamp authority's certificate chain (PEM, TSA leaf first). When given, the bundle's RFC 3161 timestamp
       * must verify against it, and the signing certificate is checked at the time it proves instead of now.
       */
      timestampAuthorities?: string[];
    }
  | {
      method: 'sigstore';
      /** Exact SAN (email, URI or Sigstore otherName), as the reference compares it. */
      identity?: string;
      /** Anchored regular expression over the SAN (cosign's --certificate-identity-regexp). */
      identityRegexp?: string;
      /** Exact OIDC issuer. */
      issuer: string;
      /** Extra Fulcio claims that must match exactly, keyed by name (e.g. sourceRepositoryURI). */
      claims?: Record<string, string>;
    };

export type Method = Policy['method'];
