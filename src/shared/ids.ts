// Identifier formats shared by the gateway and the logger.

/** A tenant id: 1–32 lower-case letters, digits or inner hyphens (it is also a DNS label and a storage prefix). */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
