// The error class every rejection and every thrown error of klarna-payment-button is made of.
// It lives in JavaScript so that it is a real Error subclass: `instanceof Error`, a stack, a name.
export class KlarnaButtonError extends Error {
  constructor(code, message, recoverable, status, errorCode, errorId) {
    super(message);
    this.name = "KlarnaButtonError";
    this.code = code;
    this.recoverable = recoverable;
    if (status !== undefined) this.status = status;
    if (errorCode !== undefined) this.errorCode = errorCode;
    if (errorId !== undefined) this.errorId = errorId;
  }
}
