// The PII detector (src/gateway/pii): what it must find, what it must leave alone, redaction, the linear-time
// guarantee on hostile input, and the false-positive / detection rates on the fixture sets (reported in
// docs/pii.md: `npx vitest run test/unit/pii.test.ts` prints them).
import { describe, expect, it } from "vitest";
import {
  detectPii,
  PII_KINDS,
  PII_PLACEHOLDERS,
  type PiiFinding,
  type PiiKind,
  piiKindsIn,
  redactFindings,
  redactPii,
} from "../../src/gateway/pii";
import { ibanChecksumValid } from "../../src/gateway/pii/iban";
import { isPublicIPv4, isPublicIPv6, parseIPv6 } from "../../src/gateway/pii/ip-address";
import { resolveOverlaps } from "../../src/gateway/pii/overlaps";
import { isCardNumber, luhnValid } from "../../src/gateway/pii/payment-card";
import { countryCodeLength } from "../../src/gateway/pii/phone";
import { looksRandom } from "../../src/gateway/pii/secrets";
import { validSsn } from "../../src/gateway/pii/ssn";
import { isEncodedFile, mapStrings, piiInAnswer, redactText } from "../../src/gateway/policy/pii-policy";
import { BENIGN_PROMPTS } from "../fixtures/pii-benign-prompts";
import { PII_SAMPLES } from "../fixtures/pii-samples";

/** Pieces joined at run time, so secret scanners reading the repository do not flag test values. */
const j = (...parts: string[]) => parts.join("");

/** Each finding as "kind:value", for readable failures. */
const found = (text: string) => detectPii(text).map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);

// [text, expected value] — the text must yield exactly one finding, of the table's kind, covering the value.
const POSITIVES: Record<PiiKind, [string, string][]> = {
  email: [
    ["write to maria.keller@gmail.com today", "maria.keller@gmail.com"],
    ["Tomasz <tomasz.nowak+news@wp.pl>", "tomasz.nowak+news@wp.pl"],
    ["MAIL: PRIYA.SHARMA@ACME-CORP.CO.UK", "PRIYA.SHARMA@ACME-CORP.CO.UK"],
    ["typed on a phone: Jane.Doe@Gmail.Com", "Jane.Doe@Gmail.Com"],
    ["_liam.oconnor@icloud.com_", "liam.oconnor@icloud.com"],
    ['{"owner":"sofia_rossi@libero.it"}', "sofia_rossi@libero.it"],
    ["hello@brightleaf.studio.", "hello@brightleaf.studio"],
    ["mailto:k.watanabe@mail.rakuten.co.jp?subject=hi", "k.watanabe@mail.rakuten.co.jp"],
    ["(anna-lena.schmidt@charite.de)", "anna-lena.schmidt@charite.de"],
    ["contact: o.brien82@outlook.ie, thanks", "o.brien82@outlook.ie"],
    ["author: Jörg <joerg@xn--mller-kva.de>", "joerg@xn--mller-kva.de"],
    ["reply to jane@acme.io: the invoice is late", "jane@acme.io"],
    ["邮箱是zhang.wei@qq.com谢谢", "zhang.wei@qq.com"],
    // Regression: any "…@host:" followed by a non-space was taken for an SCP target, so a login and its password
    // (as in a leaked-credentials line) hid the address.
    ["is jane.doe@gmail.com:hunter22 in the breach?", "jane.doe@gmail.com"],
    ["login o.brien82@outlook.ie:Passw0rd!", "o.brien82@outlook.ie"],
    // Regression: the apostrophe of an Irish or Italian name ended the local part, so the finding began after it
    // and redaction left "conor.o'" (the first name) in clear before "[EMAIL]".
    ["mail conor.o'brien@icloud.com", "conor.o'brien@icloud.com"],
    ["email='d'angelo.m@libero.it'", "d'angelo.m@libero.it"],
  ],
  phone: [
    ["Call me on +44 20 7946 0958 tomorrow", "+44 20 7946 0958"],
    ["E.164: +14155552671", "+14155552671"],
    ["office (415) 555-2671", "(415) 555-2671"],
    ["office (415)555-2671", "(415)555-2671"],
    ["text 415-555-2671 when you land", "415-555-2671"],
    ["my number is 415.555.2671", "415.555.2671"],
    ["dial 415 555 2671", "415 555 2671"],
    ["toll free 1-800-356-9377", "1-800-356-9377"],
    ["us: +1 (212) 736-3100", "+1 (212) 736-3100"],
    ["+1-415-555-2671 (cell)", "+1-415-555-2671"],
    ["London 020 7946 0958.", "020 7946 0958"],
    ["UK mobile 07700 900123", "07700 900123"],
    ["Berlin 030 12345678", "030 12345678"],
    ["Darmstadt (06151) 123456", "(06151) 123456"],
    ["Büro 030/1234567", "030/1234567"],
    ["Sydney 02 9374 4000", "02 9374 4000"],
    ["portable 06 12 34 56 78", "06 12 34 56 78"],
    ["fixe 01.42.68.53.00", "01.42.68.53.00"],
    ["+44 (0)20 7946 0958 switchboard", "+44 (0)20 7946 0958"],
    // Regression: the "(0)" trunk counted as a seventh group, so a French number written this way was missed.
    ["standard +33 (0)1 42 68 53 00", "+33 (0)1 42 68 53 00"],
    ["portable : +33 (0)6 12 34 56 78", "+33 (0)6 12 34 56 78"],
    ["+33 6 12 34 56 78", "+33 6 12 34 56 78"],
    ["+49 89 12345678", "+49 89 12345678"],
    ["+91 98480 22338", "+91 98480 22338"],
    ["+86 139 1234 5678", "+86 139 1234 5678"],
    ["+7 (495) 123-45-67", "+7 (495) 123-45-67"],
    ["+81 3-5321-1111", "+81 3-5321-1111"],
    ["+353 1 671 1222", "+353 1 671 1222"],
    ["0044 20 7946 0958", "0044 20 7946 0958"],
    ["tel:+14155552671", "+14155552671"],
    ["mobile: 13912345678", "13912345678"],
    ["my cell is 98480 22338", "98480 22338"],
    ["WhatsApp me at 612 345 678", "612 345 678"],
    ["call me at 555-2671", "555-2671"],
    ["Phone: 4155552671", "4155552671"],
    // Regression: "#" after a phone word ("phone#", "cell#"), as forms and signatures write it, made any number an id.
    ["Phone# 415-555-2671", "415-555-2671"],
    ["cell# 4155552671", "4155552671"],
    ["携帯は090-3456-7812です", "090-3456-7812"],
    ["010-2345-6789로 연락주세요", "010-2345-6789"],
    ["电话：+86 139 1234 5678", "+86 139 1234 5678"],
  ],
  payment_card: [
    ["card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"],
    ["4111-1111-1111-1111", "4111-1111-1111-1111"],
    ["visa 4539681361570483.", "4539681361570483"],
    ["mc 5555555555554444", "5555555555554444"],
    ["2-series 2223 0031 2200 3222", "2223 0031 2200 3222"],
    ["amex 378282246310005", "378282246310005"],
    ["amex 3782 822463 10005", "3782 822463 10005"],
    ["discover 6011 0009 9013 9424", "6011 0009 9013 9424"],
    ["discover 6445049006945007", "6445049006945007"],
    ["jcb 3530111333300000", "3530111333300000"],
    ["diners 30569309025904", "30569309025904"],
    ["diners 3622 720627 1667", "3622 720627 1667"],
    ["unionpay 6212 3456 6641 2850 775", "6212 3456 6641 2850 775"],
    ["maestro 6759804051570039", "6759804051570039"],
    ["mir 2201251309130138", "2201251309130138"],
    ["visa-19 4223226219656942446", "4223226219656942446"],
    ["4111 1111 1111 1111 123 (cvv)", "4111 1111 1111 1111"],
    ["4111111111111111 12/27 123", "4111111111111111"],
    ["card:4242424242424242", "4242424242424242"],
  ],
  ssn: [
    ["SSN 123-45-6789", "123-45-6789"],
    ["ssn: 078-05-1121.", "078-05-1121"],
    ["Jordan Lee, 536-22-8190, single", "536-22-8190"],
    ["social security number: 219098765", "219098765"],
    ["SSN: 412 67 3305", "412 67 3305"],
    ["soc. sec. 412.67.3305", "412.67.3305"],
    ["SS# 536228190", "536228190"],
    // Regression: a field name ("customer_ssn", "social_security_number", "socialSecurityNumber") did not count as the
    // word that makes nine digits an SSN, so a JSON record or a line of code holding one reported nothing.
    ['{"name": "Jordan Lee", "customer_ssn": "536228190"}', "536228190"],
    ["social_security_number: 536228190", "536228190"],
    ["applicant.socialSecurityNumber = 536228190;", "536228190"],
    ["applicantSSN: 536 22 8190", "536 22 8190"],
  ],
  iban: [
    ["IBAN DE89 3704 0044 0532 0130 00, ref 3B", "DE89 3704 0044 0532 0130 00"],
    ["GB82WEST12345698765432.", "GB82WEST12345698765432"],
    ["FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"],
    ["NL91ABNA0417164300", "NL91ABNA0417164300"],
    ["IT60X0542811101000000123456", "IT60X0542811101000000123456"],
    ["CH93 0076 2011 6238 5295 7", "CH93 0076 2011 6238 5295 7"],
    ["NO9386011117947", "NO9386011117947"],
    ["(BE68539007547034)", "BE68539007547034"],
    ["MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S"],
    ["iban:SA0380000000608010167519", "SA0380000000608010167519"],
    // Regression: the print format with no-break spaces (as web pages and PDFs keep an IBAN on one line) was missed,
    // while a card grouped the same way was found.
    [
      "IBAN\u00a0FR14\u00a02004\u00a01010\u00a00505\u00a00001\u00a03M02\u00a0606",
      "FR14\u00a02004\u00a01010\u00a00505\u00a00001\u00a03M02\u00a0606",
    ],
    [
      "IBAN DE89\u202f3704\u202f0044\u202f0532\u202f0130\u202f00",
      "DE89\u202f3704\u202f0044\u202f0532\u202f0130\u202f00",
    ],
  ],
  ip_address: [
    ["home IP 81.2.69.160", "81.2.69.160"],
    ["93.184.216.34 - - [12/Mar/2024]", "93.184.216.34"],
    ["whitelist 52.94.236.248:443", "52.94.236.248"],
    ["client_ip=34.117.59.81&x=1", "34.117.59.81"],
    ["from 185.220.101.42.", "185.220.101.42"],
    ["host 81.2.69.160/32", "81.2.69.160"],
    ["geolocate 1.2.3.40", "1.2.3.40"],
    ["ping 3.5.12.7", "3.5.12.7"],
    ["blocked IP: 25.4.5.4", "25.4.5.4"],
    ["v6 2a03:2880:f12f:83:face:b00c:0:25de", "2a03:2880:f12f:83:face:b00c:0:25de"],
    ["full 2a00:1450:4001:0829:0000:0000:0000:200e", "2a00:1450:4001:0829:0000:0000:0000:200e"],
    ["compressed 2a02:26f0:1180:19a::356e ok", "2a02:26f0:1180:19a::356e"],
    ["mapped ::ffff:81.2.69.160", "::ffff:81.2.69.160"],
    ["mapped ::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["[2606:4700:3033::ac43:b5a1]:8080", "2606:4700:3033::ac43:b5a1"],
    ["ip:2a03:2880:f12f:83:face:b00c:0:25de", "2a03:2880:f12f:83:face:b00c:0:25de"],
    ["nat64 64:ff9b::5db8:d822", "64:ff9b::5db8:d822"],
    // Regression: an address followed by a path was taken for part of a longer token ("…160/admin") and missed.
    ["GET https://81.2.69.160/login?u=1", "81.2.69.160"],
    ["curl 81.2.69.160/api/v1/users", "81.2.69.160"],
    ["open \\\\81.2.69.160\\share", "81.2.69.160"],
  ],
  api_key: [
    [
      j("key sk-", "puoz6sJIhQwWEDAHnhgzLT4T7ffdC6wRMTKfJHPLInGvpQzV"),
      j("sk-", "puoz6sJIhQwWEDAHnhgzLT4T7ffdC6wRMTKfJHPLInGvpQzV"),
    ],
    [
      j('"sk-proj-', 'rCGaTZZvUruk6wna3TOdvDqm7jykRmH_0_LdFeenOp_QFMBb-EhSXekV8Ec4XEoP"'),
      j("sk-proj-", "rCGaTZZvUruk6wna3TOdvDqm7jykRmH_0_LdFeenOp_QFMBb-EhSXekV8Ec4XEoP"),
    ],
    [
      j("sk-ant-", "api03-quQsO9Ia2AMSls3n4Ct5dcBhFB7TpeKzBlbLawrZjVhIPaPNpiCfV71sGN"),
      j("sk-ant-", "api03-quQsO9Ia2AMSls3n4Ct5dcBhFB7TpeKzBlbLawrZjVhIPaPNpiCfV71sGN"),
    ],
    [j("id AKIA", "VFZ7LBUQE6JHKLWP."), j("AKIA", "VFZ7LBUQE6JHKLWP")],
    [j("ASIA", "M37WKBDIXZCII24S"), j("ASIA", "M37WKBDIXZCII24S")],
    [
      j("aws_secret_access_key = ", "TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm"),
      "TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm",
    ],
    [
      j('"SecretAccessKey": "', 'TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm"'),
      "TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm",
    ],
    [
      j("AWS_SECRET_ACCESS_KEY: ", "TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm"),
      "TWT9sBJAfY28hT+PDYzgp7xJNf+9nhf+9QVTAfEm",
    ],
    [j("token gh", "p_RNAZnN6F2Tea1d5QLUNZTb9vidhySLZ3VQm7"), j("gh", "p_RNAZnN6F2Tea1d5QLUNZTb9vidhySLZ3VQm7")],
    [j("gh", "o_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK"), j("gh", "o_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK")],
    [j("gh", "u_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK"), j("gh", "u_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK")],
    [j("gh", "s_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK"), j("gh", "s_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK")],
    [j("gh", "r_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK"), j("gh", "r_QHIUTGCXm4337Qlci8QpcWCkIl5Y0MfIJknK")],
    [
      j("GH_TOKEN=github", "_pat_fHJRETlIcILoLfsfqHwWkq_iQlaoqiK8MjDrLJuoinwDb5ZsSwCLY1xL8lVimWXz"),
      j("github", "_pat_fHJRETlIcILoLfsfqHwWkq_iQlaoqiK8MjDrLJuoinwDb5ZsSwCLY1xL8lVimWXz"),
    ],
    [j("'sk_", "live_m15eRGCv85mens9PbpdwzmlZ'"), j("sk_", "live_m15eRGCv85mens9PbpdwzmlZ")],
    [j("sk_", "test_VHBFUp4f2xxcNVacCnolyxDY"), j("sk_", "test_VHBFUp4f2xxcNVacCnolyxDY")],
    [j("rk_", "live_jSlMmbS9SxNQogiUKvBOk9FN"), j("rk_", "live_jSlMmbS9SxNQogiUKvBOk9FN")],
    [j("whsec", "_62Kv6KgBSaUOCe5wjHv1nOENc8IbJ4cq"), j("whsec", "_62Kv6KgBSaUOCe5wjHv1nOENc8IbJ4cq")],
    [
      j("xox", "b-053016581267-5252223568130-portgb86D4nA0CnRbiGsRfBL"),
      j("xox", "b-053016581267-5252223568130-portgb86D4nA0CnRbiGsRfBL"),
    ],
    [
      j("xox", "p-436177732932-460227232887-6312172284493-v4469v88yeoh9z"),
      j("xox", "p-436177732932-460227232887-6312172284493-v4469v88yeoh9z"),
    ],
    [j("key=AI", "za9GoX4AhZYd6_XejmcAnvw6-aKRVCCcNM0bS&q=1"), j("AI", "za9GoX4AhZYd6_XejmcAnvw6-aKRVCCcNM0bS")],
    [
      j("Bearer cdn_", "live_1v8BoCa4EThmgb10NbgLLWSzbebCVHKI_lFTUdt"),
      j("cdn_", "live_1v8BoCa4EThmgb10NbgLLWSzbebCVHKI_lFTUdt"),
    ],
    [
      j("cdn_", "dev_sjqFZGAHm836r1oJFzPG04KuH4jHetOw_gYEJgy"),
      j("cdn_", "dev_sjqFZGAHm836r1oJFzPG04KuH4jHetOw_gYEJgy"),
    ],
  ],
  jwt: [
    [
      "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzg4NDEifQ.q1NixwUVtGectp8yhHSR1_HV7J2bjmgQh5u2rEPzAfo",
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzg4NDEifQ.q1NixwUVtGectp8yhHSR1_HV7J2bjmgQh5u2rEPzAfo",
    ],
    [
      "token=eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhdXRoMHw2NjEyIn0.0KEsvl5mlGP0KgU8wzWZ-GsIb9VC74W0&x",
      "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhdXRoMHw2NjEyIn0.0KEsvl5mlGP0KgU8wzWZ-GsIb9VC74W0",
    ],
    ["unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0. ok", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0"],
  ],
  private_key: [],
};

const PEM_LINES = [
  "AeQ9LogFZqZ779QxdWa3Jc4Z+2yxdqC324mRw7SlxbOCPHxQ2WcXgnAd+3/ZN22H",
  "rlhZfSGrODb7/jY39HABS/saFAcQmN4VZlaraRQTvEfrDT4UiFM35gEznDtnAGW2",
];
const pem = (label: string, newline = "\n") =>
  [j("-----BEGIN ", label, "-----"), ...PEM_LINES, j("-----END ", label, "-----")].join(newline);
for (const label of [
  "RSA PRIVATE KEY",
  "PRIVATE KEY",
  "EC PRIVATE KEY",
  "OPENSSH PRIVATE KEY",
  "ENCRYPTED PRIVATE KEY",
]) {
  POSITIVES.private_key.push([`key:\n${pem(label)}\nend`, pem(label)]);
}
POSITIVES.private_key.push(
  [`{"private_key": "${pem("PRIVATE KEY", "\\n")}\\n"}`, pem("PRIVATE KEY", "\\n")],
  [`${pem("PGP PRIVATE KEY BLOCK")}`, pem("PGP PRIVATE KEY BLOCK")],
  [
    j(
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F2A\n\n",
      PEM_LINES.join("\n"),
      "\n-----END RSA PRIVATE KEY-----",
    ),
    j(
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F2A\n\n",
      PEM_LINES.join("\n"),
      "\n-----END RSA PRIVATE KEY-----",
    ),
  ],
  // Truncated paste: no END line; the finding runs to the end of the base64 body.
  [
    j("-----BEGIN PRIVATE KEY-----\n", PEM_LINES.join("\n"), "\n\nwhat is this?"),
    j("-----BEGIN PRIVATE KEY-----\n", PEM_LINES.join("\n")),
  ],
);

describe("detectPii finds every kind and format", () => {
  for (const kind of PII_KINDS) {
    describe(kind, () => {
      it.each(POSITIVES[kind])("finds it in %j", (text, value) => {
        expect(found(text)).toEqual([`${kind}:${value}`]);
      });
    });
  }

  it("has positive cases for every kind", () => {
    for (const kind of PII_KINDS) expect(POSITIVES[kind].length, kind).toBeGreaterThan(2);
  });
});

// Text that must yield no finding at all.
const NEGATIVES: Record<string, string[]> = {
  "years, dates and times": [
    "in 1999, 2000 and 2024",
    "due 2024-05-01, moved to 2024/06/15",
    "born 12/03/1987 at 10:30:15",
    "01-12-2024 and 31.12.2024",
    "2024-05-01 10:30:00.123456",
    "from 2019 2020 2021 2022 2023",
    "2024-01-15T09:30:00+05:30",
    "call me on 2024-05-01",
    "Q3 2023, FY2024, 24/7 support",
  ],
  "versions and build numbers": [
    "upgrade from 1.2.3 to 1.10.0",
    "version 1.2.3.4",
    "v1.2.3.4 is out",
    "1.2.3.4.5 is a five-part version",
    "firmware 2.10.4.1",
    "Windows 10.0.19045.3693",
    "Chrome 124.0.6367.91",
    "kernel 6.8.0-31-generic",
    "section 4.2.1.3",
    "lodash@4.17.21 and @types/node@20.19.43",
    "python 3.12.1, node 20.12.2, go 1.22.0",
    "4.2.1.0 release notes",
    "// 19.2.3.1 and ES6 25.4.5.4 and step 4.2.6.10",
    "kernel 5.15.167.4, WSL 5.15.167.4-microsoft-standard",
    "firmware: 3.10.142.7",
    "see § 12.4.33.2 and section 12.4.33.2",
    "upgraded to 5.15.167.4",
    "docs at https://docs.acme.io/v/2.10.45.1/guide",
  ],
  "math and numbers": [
    "3x + 5 = 14",
    "2^64 = 18446744073709551616",
    "2^53 = 9007199254740992",
    "20! = 2432902008176640000",
    "pi ≈ 3.14159265358979",
    "123456789 × 987654321 = 121932631112635269",
    "1,000,003 is prime",
    "the sum is 4,294,967,296",
    "1 000 000 people",
    "solve 415 + 555 = 970",
    "0.4155552671 is a ratio",
    "values 10 20 30 40 50 60 70",
    "matrix 1 2 3 4 5 6 7 8 9",
    "Fibonacci 1 1 2 3 5 8 13 21 34 55 89 144",
    "x = 3 +14 -7",
  ],
  "prices and money": [
    "$1,234,567.89",
    "€4155552671 budget",
    "£020 7946 0958",
    "costs $415-555-2671",
    "$4111111111111111 or €5555555555554444",
    "grew 4155552671%",
    "12.5% of 1,200.00",
  ],
  "order, invoice, tracking and other ids": [
    "Order #415-555-2671",
    "order 415-555-2671 shipped",
    "invoice no. 020 7946 0958",
    "tracking number: 4155552671",
    "ticket 07700 900123",
    "ISBN 978-0-306-40615-7",
    "ISBN 0-306-40615-2",
    "ISBN 9780306406157",
    "EAN 4006381333931",
    "IMEI 356938035643809",
    "UPS 1Z999AA10123456784",
    "USPS 9400 1000 0000 0000 0000 00",
    "FedEx 7489 2345 6789",
    "meeting ID: 845 223 1908",
    "id 4539681361570483",
    "snowflake 6212791091258991",
    "JIRA-4821, PR #18342",
    "ORD-415-555-2671",
    "https://shop.example.com/orders/4155552671",
    "report.4155552671.csv",
    "café4155552671 and straße020 7946 0958",
    "ZIP 02134 02135",
    "SKU AB-1029-4471",
  ],
  "hashes, ids and colours": [
    "550e8400-e29b-41d4-a716-446655440000",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "md5 d41d8cd98f00b204e9800998ecf8427e",
    "commit 3f7a9c2e5b1d4f8a6c0e2b9d7f5a3c1e8b6d4f2a",
    "short sha a1b2c3d",
    "#1E3A8A #f59e0b #10B98180",
    "0x7FFFFFFF and 0xDEADBEEF",
    "docker pull node@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "base64 SGVsbG8gV29ybGQhIFRoaXMgaXMgbm90IGEgc2VjcmV0Lg==",
    "eyJmb28iOiJiYXIifQ is base64 json",
    "MAC 00:1A:2B:3C:4D:5E",
  ],
  "code and logs": [
    "std::vector<int>::size_type",
    "a[1:2:3] and b[::2]",
    "x = A @ B.T; y = x@self.weight",
    "git clone git@github.com:acme/payments.git",
    "ssh -i key.pem ubuntu@ec2-3-121-45-67.eu-central-1.compute.amazonaws.com",
    "root@web-01.prod.acme.io:~# uptime",
    "rsync -a dist/ deploy@web-01.acme.io:/var/www and deploy@web-02.acme.io:app/current",
    "logo@2x.png logo@3x.png",
    "@app.route('/users/<int:id>')",
    "user@localhost and admin@internal",
    "listening on 0.0.0.0:8080 and [::]:8080",
    "ERROR 2024-06-11 03:14:07,221 pool-2-thread-7 retry 2/5",
    "at App.tsx:42:17",
    "css .sk-loading-indicator-container-wrapper {}",
    "task-management-service-2024",
    "EADDRINUSE :::3000",
  ],
  "addresses that name no one": [
    "127.0.0.1 and ::1",
    "10.0.0.1, 172.16.5.4, 192.168.1.1",
    "100.64.0.1 carrier NAT",
    "169.254.169.254 metadata",
    "255.255.255.0 mask, 0.0.0.0 any",
    "224.0.0.251 mdns",
    "docs 192.0.2.44, 198.51.100.7, 203.0.113.10",
    "dns 8.8.8.8, 8.8.4.4, 1.1.1.1, 9.9.9.9",
    "fe80::1%eth0, fd00::1, ff02::1",
    "2001:db8::1 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "::ffff:192.168.1.1",
    "2606:4700:4700::1111",
    "network 81.2.69.0/24",
    "jane@example.com, bob@test.invalid, x@foo.example, y@a.localhost",
    "name@domain.com, you@yourcompany.com, firstname.lastname@gmail.com",
  ],
  "placeholder secrets": [
    "OPENAI_API_KEY=sk-...",
    "sk-your-api-key-here",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-proj-1234567890abcdefghijklmnopqrstuv",
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx",
    "pk_live_51HzYqQAbCdEfGhIjKlMnOpQr",
    "xoxb-your-bot-token",
    "Authorization: Bearer <token>",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY----- is the PKCS#8 header",
    "-----BEGIN RSA PRIVATE KEY----- marks a traditional key and the file ends with -----END RSA PRIVATE KEY----- okay",
    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
    "header.payload.signature",
    "eyJhbGciOi.eyJzdWIi.abc",
  ],
  "numbers near the formats": [
    "555-0100",
    "415-555-267",
    "415-555-26712",
    "123-456-7890",
    "415-555.2671",
    "+100 200 300",
    "+20 30 40 50",
    "+1234567890",
    "@00402000000000@",
    "// Prints: <Buffer 01 02 03 04 05>",
    "5555555555",
    "0123456789",
    "000-00-0000 and 666-12-3456 and 900-12-3456",
    "123-00-4567 and 123-45-0000",
    "123456789",
    "lesson 536228190 and classn 536228190",
    "4111 1111 1111 1112",
    "4111111111111112",
    "1234 5678 9012 3456",
    "4000 4001 4002 4003 4004",
    "9007199254740993",
    "DE89 3704 0044 0532 0130 01",
    "DE89370400440532013000X",
    "XX89370400440532013000",
    "de89370400440532013000",
    "256.1.1.1 and 1.2.3.256",
    "081.002.069.160",
    "81.2.69",
    "12:30:45 and 2:30::",
  ],
};

describe("detectPii leaves innocent text alone", () => {
  for (const [group, texts] of Object.entries(NEGATIVES)) {
    describe(group, () => {
      it.each(texts)("nothing in %j", (text) => {
        expect(found(text)).toEqual([]);
      });
    });
  }
});

// Regression: digit chains were joined by "-" only, so a number a word processor or web page wrote with its no-break
// hyphen (U+2011, kept on one line) or hyphen (U+2010) was read as separate short numbers and missed.
describe("numbers joined by Unicode hyphens", () => {
  it.each([
    ["call 415\u2011555\u20112671", "phone:415\u2011555\u20112671"],
    ["office +1 (415) 555\u20112671", "phone:+1 (415) 555\u20112671"],
    ["SSN 536\u201022\u20108190", "ssn:536\u201022\u20108190"],
    ["card 4111\u20111111\u20111111\u20111111", "payment_card:4111\u20111111\u20111111\u20111111"],
  ])("finds %j", (text, finding) => {
    expect(found(text)).toEqual([finding]);
  });

  it.each(["ORD\u20114155552671", "pages 1999\u20112004", "ISBN 978\u20110\u2011306\u201140615\u20117"])(
    "nothing in %j",
    (text) => {
      expect(found(text)).toEqual([]);
    },
  );
});

describe("findings", () => {
  it("carry only kind and offsets, never the value", () => {
    const [f] = detectPii("mail maria.keller@gmail.com");
    expect(Object.keys(f!).sort()).toEqual(["end", "kind", "start"]);
    expect(JSON.stringify(detectPii("mail maria.keller@gmail.com"))).not.toContain("maria");
  });

  it("are sorted by start and do not overlap", () => {
    const text = PII_SAMPLES.map((s) => s.text).join("\n");
    const findings = detectPii(text);
    expect(findings.length).toBeGreaterThan(PII_SAMPLES.length);
    for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
  });

  it("prefer the longer of two overlapping candidates (IPv6 over its embedded IPv4)", () => {
    expect(found("from ::ffff:81.2.69.160 today")).toEqual(["ip_address:::ffff:81.2.69.160"]);
  });

  it("prefer the longer of two overlapping candidates (an e-mail over the phone number in it)", () => {
    expect(found("sms gateway 4155552671@txt.att.net")).toEqual(["email:4155552671@txt.att.net"]);
  });

  it("report a key block once, whatever its base64 resembles", () => {
    const block = j(
      "-----BEGIN PRIVATE KEY-----\n",
      PEM_LINES[0]!,
      "\nAKIA",
      "VFZ7LBUQE6JHKLWP\n-----END PRIVATE KEY-----",
    );
    expect(detectPii(block)).toEqual([{ kind: "private_key", start: 0, end: block.length }]);
  });

  it("merge partly overlapping candidates into one finding named after the longest", () => {
    const candidates: PiiFinding[] = [
      { kind: "phone", start: 0, end: 10 },
      { kind: "email", start: 5, end: 30 },
      { kind: "ip_address", start: 40, end: 50 },
      { kind: "api_key", start: 40, end: 50 },
      { kind: "ssn", start: 60, end: 70 },
      { kind: "jwt", start: 62, end: 66 },
    ];
    expect(resolveOverlaps(candidates)).toEqual([
      { kind: "email", start: 0, end: 30 },
      { kind: "api_key", start: 40, end: 50 },
      { kind: "ssn", start: 60, end: 70 },
    ]);
    expect(candidates[0]).toEqual({ kind: "phone", start: 0, end: 10 }); // input untouched
  });

  it("are UTF-16 offsets after astral characters", () => {
    const text = "😀🎉 call +44 20 7946 0958 😀";
    const [f] = detectPii(text);
    expect(text.slice(f!.start, f!.end)).toBe("+44 20 7946 0958");
    expect(f!.start).toBe(10);
  });

  it("find several kinds in one text", () => {
    expect(
      found("Applicant SSN 536-22-8190, phone (646) 555-3890, mail ana.ruiz@gmail.com, IBAN GB82WEST12345698765432"),
    ).toEqual(["ssn:536-22-8190", "phone:(646) 555-3890", "email:ana.ruiz@gmail.com", "iban:GB82WEST12345698765432"]);
  });

  it("find each of two phone numbers separated by a comma or a word", () => {
    expect(found("415-555-2671, 415-555-2672 or 020 7946 0958")).toEqual([
      "phone:415-555-2671",
      "phone:415-555-2672",
      "phone:020 7946 0958",
    ]);
  });

  // Regression: the IBAN pattern matched up to 40 characters past a country code, so an IBAN that followed
  // another one (or any "AB12"-shaped token) within that run of capitals, digits and spaces was never looked at.
  it("find each of two IBANs in a run of capitals, digits and spaces", () => {
    expect(found("IBAN DE89370400440532013000 GB82WEST12345698765432")).toEqual([
      "iban:DE89370400440532013000",
      "iban:GB82WEST12345698765432",
    ]);
    expect(found("BENEFICIARY IBAN DE89370400440532013000 SENDER IBAN GB82WEST12345698765432")).toEqual([
      "iban:DE89370400440532013000",
      "iban:GB82WEST12345698765432",
    ]);
    expect(found("REF AB12 CD34 TO DE89 3704 0044 0532 0130 00")).toEqual(["iban:DE89 3704 0044 0532 0130 00"]);
  });

  it("return nothing for empty or plain text", () => {
    expect(detectPii("")).toEqual([]);
    expect(detectPii("What is the capital of France?")).toEqual([]);
  });
});

describe("redaction", () => {
  it("replaces each finding with its typed placeholder and keeps the rest", () => {
    const text = "Mail maria.keller@gmail.com or call +44 20 7946 0958; card 4111 1111 1111 1111.";
    expect(redactPii(text)).toEqual({
      text: "Mail [EMAIL] or call [PHONE]; card [PAYMENT_CARD].",
      kinds: ["email", "phone", "payment_card"],
    });
  });

  it.each(PII_SAMPLES.map((s) => [s.kinds.join("+"), s.text] as const))(
    "removes every value from the %s sample %j",
    (_kinds, text) => {
      const redacted = redactPii(text);
      for (const f of detectPii(text)) expect(redacted.text).not.toContain(text.slice(f.start, f.end));
      expect(detectPii(redacted.text)).toEqual([]);
      expect(redactPii(redacted.text)).toEqual({ text: redacted.text, kinds: [] });
    },
  );

  it("uses one placeholder per kind", () => {
    for (const kind of PII_KINDS) expect(PII_PLACEHOLDERS[kind]).toBe(`[${kind.toUpperCase()}]`);
  });

  it("lists kinds once each, in PII_KINDS order", () => {
    const text = j("AKIA", "VFZ7LBUQE6JHKLWP then bob.smith@gmail.com and ann.lee@gmail.com, 81.2.69.160");
    expect(redactPii(text).kinds).toEqual(["email", "ip_address", "api_key"]);
    expect(piiKindsIn(text)).toEqual(["email", "ip_address", "api_key"]);
  });

  it("redactFindings applies findings computed earlier", () => {
    const text = "ssn 123-45-6789!";
    const findings: PiiFinding[] = detectPii(text);
    expect(redactFindings(text, findings)).toEqual({ text: "ssn [SSN]!", kinds: ["ssn"] });
    expect(redactFindings(text, [])).toEqual({ text, kinds: [] });
  });

  it("leaves clean text unchanged", () => {
    for (const prompt of BENIGN_PROMPTS.slice(0, 50)) expect(redactPii(prompt)).toEqual({ text: prompt, kinds: [] });
  });
});

describe("validators", () => {
  it("Luhn", () => {
    expect(luhnValid("79927398713")).toBe(true);
    expect(luhnValid("79927398710")).toBe(false);
    expect(isCardNumber("4111111111111111")).toBe(true);
    expect(isCardNumber("1111111111111117")).toBe(false); // Luhn-valid, no network starts with 1
    expect(isCardNumber("34000000000000")).toBe(false); // Amex prefix, wrong length
  });

  it("IBAN mod 97", () => {
    expect(ibanChecksumValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanChecksumValid("GB83WEST12345698765432")).toBe(false);
    expect(ibanChecksumValid("GB01WEST12345698765432")).toBe(false);
  });

  it.each([
    ["123456789", true],
    ["000123456", false],
    ["666123456", false],
    ["900123456", false],
    ["123001234", false],
    ["123450000", false],
  ])("SSN %s valid: %s", (digits, valid) => {
    expect(validSsn(digits)).toBe(valid);
  });

  it("country codes are prefix-free", () => {
    expect(countryCodeLength("14155552671")).toBe(1);
    expect(countryCodeLength("442079460958")).toBe(2);
    expect(countryCodeLength("35312345678")).toBe(3);
    expect(countryCodeLength("2801234567")).toBe(0);
  });

  it("IPv4 public ranges", () => {
    expect(isPublicIPv4([81, 2, 69, 160], "81.2.69.160")).toBe(true);
    expect(isPublicIPv4([172, 32, 0, 1], "172.32.0.1")).toBe(true);
    expect(isPublicIPv4([172, 31, 0, 1], "172.31.0.1")).toBe(false);
    expect(isPublicIPv4([100, 128, 0, 1], "100.128.0.1")).toBe(true);
  });

  it("IPv6 parsing and public ranges", () => {
    expect(parseIPv6("::")?.written).toBe(0);
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("12345::1")).toBeNull();
    expect(parseIPv6("::ffff:1.2.3.4")?.groups).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(isPublicIPv6(parseIPv6("2a03:2880::1")!.groups)).toBe(true);
    expect(isPublicIPv6(parseIPv6("fc00::1")!.groups)).toBe(false);
  });

  it("random-looking key bodies", () => {
    expect(looksRandom("puoz6sJIhQwWEDAHnhgzLT4T7ffdC6wRMTKfJHPLInGvpQzV", 2)).toBe(true);
    expect(looksRandom("VFZ7LBUQE6JHKLWP", 1)).toBe(true);
    expect(looksRandom("your-api-key-here-please", 2)).toBe(false);
    expect(looksRandom("aaaaaaaaaaaaaaaaaaaaaaaa", 1)).toBe(false);
  });
});

// Hostile input: every scan must stay linear. 1,000,000 characters each; < 1000 ms is a bound far above the
// typical time (tens of ms), tight enough to catch any quadratic or exponential pattern.
const MB = 1_000_000;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
const HOSTILE: [string, string][] = [
  ["digits", fill("1")],
  ["digits with spaces", fill("1 ")],
  ["digits with dashes", fill("12-")],
  ["one dotted number", fill("1.")],
  ["dotted quads", fill("1.2.3.4.")],
  ["public IPv4 list", fill("81.2.69.160 ")],
  ["phone-like groups", fill("+1 (415) 555-")],
  ["open parentheses", fill("(1")],
  ["card groups", fill("4111 ")],
  ["a@a@", fill("a@")],
  ["long local part", `${"a".repeat(MB - 20)}@gmail.com`],
  ["dots", fill(".")],
  ["dotted domain", `a@${fill("a.").slice(0, MB - 2)}`],
  ["e-mail list", fill("bob.smith@gmail.com ")],
  ["colons", fill(":")],
  ["hex and colons", fill("ffff:")],
  ["colon pairs", fill("1::")],
  ["dashes", fill("-")],
  ["BEGIN without body", fill("-----BEGIN PRIVATE KEY-----")],
  ["BEGIN with short body", fill("----BEGIN ")],
  [
    "BEGIN markers and one END",
    `${fill("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n").slice(0, MB - 40)}-----END RSA PRIVATE KEY-----`,
  ],
  ["sk- prefixes", fill("sk-")],
  ["sk-ant- prefixes", fill("sk-ant-")],
  ["long key body", `sk-${fill("aB3")}`],
  ["AKIA prefixes", fill("AKIA")],
  ["JWT-like segments", fill("eyJhbGciOiJIUzI1NiJ9.")],
  ["eyJ", fill("eyJ")],
  ["IBAN-like", fill("DE89 ")],
  ["upper-case run", fill("DE89370400")],
  ["secret assignments", fill("aws_secret_access_key=")],
  ["ssh words", fill("ssh a@")],
  ["login:password pairs", fill("a@b.co:")],
  ["word soup", fill("face bead 2024 a1 deed ")],
];

describe("linear time on hostile input (1,000,000 characters)", () => {
  it.each(HOSTILE)("%s", (_name, input) => {
    expect(input.length).toBeGreaterThanOrEqual(MB - 40);
    const t0 = performance.now();
    detectPii(input);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("fixture sets", () => {
  it("benign prompts: false-positive rate ≤ 1%", () => {
    const flagged = BENIGN_PROMPTS.filter((p) => detectPii(p).length > 0);
    const rate = flagged.length / BENIGN_PROMPTS.length;
    console.info(
      `PII false-positive rate: ${flagged.length}/${BENIGN_PROMPTS.length} benign prompts flagged (${(rate * 100).toFixed(2)}%)`,
    );
    expect(BENIGN_PROMPTS.length).toBeGreaterThanOrEqual(300);
    expect(rate, flagged.map((p) => `${found(p).join(", ")} in ${JSON.stringify(p)}`).join("\n")).toBeLessThanOrEqual(
      0.01,
    );
  });

  it("PII samples: detection rate 100%, every labelled kind found and no other", () => {
    const missed = PII_SAMPLES.filter((s) => {
      const kinds = piiKindsIn(s.text);
      return s.kinds.some((k) => !kinds.includes(k));
    });
    const confused = PII_SAMPLES.filter((s) => piiKindsIn(s.text).some((k) => !s.kinds.includes(k)));
    console.info(
      `PII detection rate: ${PII_SAMPLES.length - missed.length}/${PII_SAMPLES.length} samples (${(
        ((PII_SAMPLES.length - missed.length) / PII_SAMPLES.length) * 100
      ).toFixed(2)}%), ${confused.length} with an unexpected kind`,
    );
    for (const kind of PII_KINDS)
      expect(
        PII_SAMPLES.some((s) => s.kinds.includes(kind)),
        kind,
      ).toBe(true);
    expect(missed.map((s) => s.text)).toEqual([]);
    expect(confused.map((s) => `${found(s.text).join(", ")} in ${s.text}`)).toEqual([]);
  });

  it("reports detection time for a 2 KB and a 100 KB prompt", () => {
    const corpus = [...BENIGN_PROMPTS, ...PII_SAMPLES.map((s) => s.text)].join("\n");
    const timeOf = (text: string, runs: number) => {
      detectPii(text); // warm up
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) detectPii(text);
      return (performance.now() - t0) / runs;
    };
    const small = corpus.slice(0, 2048);
    const large = corpus.repeat(Math.ceil(100_000 / corpus.length)).slice(0, 100_000);
    const smallMs = timeOf(small, 500);
    const largeMs = timeOf(large, 20);
    console.info(`detectPii: 2 KB prompt ${(smallMs * 1000).toFixed(0)} µs, 100 KB prompt ${largeMs.toFixed(2)} ms`);
    expect(detectPii(large).length).toBeGreaterThan(0);
  });
});

// Regression: every string starting with "data:" was passed over as an encoded file, so text such as a line of
// server-sent events in an answer, or a tool's description, was neither scanned nor redacted.
describe("encoded files are left alone, and only they", () => {
  const email = ["maria.keller", "@", "gmail.com"].join("");
  const png =
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

  it("a base64 data URL, with or without a media type and parameters, is an encoded file", () => {
    expect(isEncodedFile(png)).toBe(true);
    expect(isEncodedFile("data:;base64,aGVsbG8=")).toBe(true);
    expect(isEncodedFile("data:application/pdf;name=a.pdf;base64,JVBERi0x")).toBe(true);
    expect(mapStrings({ image: png }, redactText)).toEqual({ image: png });
  });

  it("text that only starts with 'data:' is text: scanned and redacted", () => {
    for (const text of [`data: ${email}`, `data:,${email}`, `data:text/plain,${email}`, `data:;base64,x ${email}`]) {
      expect(isEncodedFile(text), text).toBe(false);
      expect(mapStrings([text], redactText), text).toEqual([text.replace(email, "[EMAIL]")]);
    }
    expect(piiInAnswer([{ message: { content: `data: {"to": "${email}"}` } }])).toEqual(["email"]);
  });
});
