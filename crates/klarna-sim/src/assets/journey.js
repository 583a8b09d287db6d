// klarna-sim purchase journey (offline simulator): when the journey ends in a pop-up or an
// iframe, tell the page that opened it, but only if that page is on the origin registered
// with the payment request (its return URL's); otherwise go to the return URL.
const result = document.getElementById("journey-result");
if (result) {
  const { paymentRequestId, state, returnUrl, targetOrigin } = result.dataset;
  const data = { source: "klarna-sim", paymentRequestId, state, returnUrl: returnUrl || null };
  const target = targetOrigin && (window.opener || (window.parent !== window ? window.parent : null));
  if (target) target.postMessage(data, targetOrigin);
  else if (data.returnUrl) location.replace(data.returnUrl);
}
