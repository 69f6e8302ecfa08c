/** Mailjet Send API v3.1 emulator (see sandbox.ts): `POST /v3.1/send` and the control API. */
export { MailjetSandbox, MAILJET_SANDBOX_DEFAULTS, type MailjetSandboxOptions, type RecordedEmail } from './sandbox';
