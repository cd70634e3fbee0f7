// The party's card payment (referrals/templates/fees/pay.html): Stripe.js Elements on
// the center's own account. The card goes to Stripe only; the return page asks the
// server, which re-reads the PaymentIntent from Stripe before marking anything paid.
(function () {
  "use strict";
  const form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    });
    if (error) document.getElementById("payment-message").textContent = error.message;
  });
})();
