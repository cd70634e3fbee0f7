// The card form of the billing page: Stripe.js confirms the SetupIntent with the card
// typed in Stripe's own field, then the form posts only the SetupIntent's id.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.textContent = "";
    stripe
      .confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message;
          return;
        }
        form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
        form.submit();
      });
  });
})();
