# Notifications sent by workflows
invoice-created = 🧾 Invoice for { $amount } { $currency }. Pay with crypto before { $expiresAt }.
invoice-pay-button = 💳 Pay
invoice-topup-button = 💳 Pay the rest
invoice-partial = ⚠️ We received { $received } of { $amount } { $currency }. { $missing } { $currency } is missing: pay the rest before the invoice expires.
invoice-paid = ✅ Payment of { $amount } { $currency } received. Thank you!
invoice-overpaid = ✅ Payment received: { $received } { $currency } for { $amount } { $currency }. The extra { $extra } { $currency } is recorded; an admin will contact you about it.
invoice-expired = ⌛ The invoice expired unpaid. Pick a plan again whenever you like.
invoice-cancelled = ✖️ The invoice was cancelled.
invoice-needs-review = ⚠️ The invoice expired with { $received } of { $amount } { $currency } paid ({ $missing } missing). An admin will look at it and contact you.
invoice-late-paid = ⚠️ Your payment arrived after the invoice had closed. It is recorded, and an admin will sort it out with you.
admin-invoice-overpaid = 💰 Invoice { $invoiceId } (user { $userId }) overpaid: { $received } { $currency } for { $amount }; extra { $extra }.
admin-invoice-needs-review = 🔎 Invoice { $invoiceId } (user { $userId }) expired partly paid: { $received } of { $amount } { $currency }.
admin-invoice-late-paid = 🔎 Invoice { $invoiceId } (user { $userId }) received { $received } { $currency } after it closed.
subscription-activated = 🎉 Your { $plan } subscription is active until { $expiresAt }. Your personal invite links are below: tap to request to join, and you are let in at once.
subscription-trial-started = 🎁 Your { $plan } trial is active until { $expiresAt }. Your personal invite links are below.
subscription-extended = 🔁 Your { $plan } subscription is extended until { $expiresAt }.
subscription-reminder = ⏰ Your { $plan } subscription ends on { $expiresAt }. Renew now to keep access.
subscription-grace = ⏳ Your { $plan } subscription has ended. You keep access until { $accessUntil }: renew before then.
subscription-ended = 👋 Your { $plan } subscription has ended and your access was removed. You can subscribe again at any time.
subscription-revoked = 🚫 Your { $plan } subscription was ended by an admin.
trial-not-offered = The { $plan } plan has no trial.
trial-while-active = You already have access to { $plan }.
trial-already-used = You have already used your trial.
renew-button = 🔁 Renew

# Bot replies
start-welcome = 👋 Hello, { $name }! This bot sells access to private channels, paid in crypto.
start-welcome-back = 👋 Welcome back! Choose a plan:
terms-text =
    📜 Terms of service
    • A subscription gives access to the plan's private channels until it expires.
    • Payments are made in crypto through CryptoCloud and cannot be reversed by us.
    • Invite links are personal: only you can join with them.
    • Access ends when the subscription and its grace period end.
    Press “Accept” to continue.
terms-accept-button = ✅ Accept
terms-accepted = Terms accepted
terms-accepted-plans = ✅ Thank you! Choose a plan:
terms-first = ⚠️ Please accept the terms first.
plans-choose = Choose a plan:
plans-none = No plans are on sale right now. Please check back later.
plan-unavailable = ⚠️ This plan is not available (any more). Here are the current plans:
plan-unavailable-alert = This plan is not available (any more).
plan-details =
    { $title }
    Price: { $price }
    Access for: { $duration }
plan-trial-offer = 🎁 You can try it free for { $duration }.
plan-pay-button = 💳 Pay { $price }
plan-trial-button = 🎁 Try free for { $duration }
plans-back-button = ⬅️ All plans
plans-show-button = 📋 See plans
invoice-creating = Creating your invoice…
invoice-already-open = You already have an open invoice for this plan.
invoice-still-open = 🧾 Your invoice for { $amount } is still open until { $expiresAt }.
duration-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
duration-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
trial-starting = Starting your trial…
trial-none = No plan offers a free trial right now.
trial-choose = 🎁 Choose a plan to try for free (once per user):
myplan-title = 📋 Your subscriptions
myplan-none = You have no subscription yet.
myplan-trial = { $plan }: 🎁 trial until { $expiresAt }
myplan-active = { $plan }: ✅ active until { $expiresAt }
myplan-grace = { $plan }: ⏳ ended on { $expiresAt }, access kept until { $accessUntil }
myplan-expired = { $plan }: ⌛ ended on { $expiresAt }
myplan-revoked = { $plan }: 🚫 ended by an admin
myplan-renew-button = 🔁 Renew { $plan }
join-declined = To join “{ $channel }” you need an active subscription. Choose a plan, and you will get your personal invite link.
language-choose = Choose your language:
language-unknown = ⚠️ “{ $given }” is not a language this bot speaks. Available: { $available }.
language-set = ✅ Language: { $language }
help =
    What I can do:
    /plans: plans and prices
    /myplan: your subscriptions, expiry and renewal
    /trial: a free trial (once)
    /language: change the language
    /start: start over
    /help: this message
unknown-command = I don't know the command { $command }.
unknown-text = I only understand commands and buttons.
unknown-message = I can't do anything with this kind of message.
button-stale = This button is out of date. Send /plans or /myplan to start again.
error-try-again = ⚠️ Something went wrong. Please try again in a moment.
command-start = Start and accept the terms
command-plans = Plans and prices
command-myplan = My subscriptions
command-trial = Free trial
command-language = Change the language
command-help = Help

# Payouts and referrals
referral-commission-held = 💸 You earned { $amount } { $currency } from a payment by someone you referred. It becomes available on { $releaseAt }.
referral-commission-available = ✅ { $amount } { $currency } of referral commission is now available for payout.
referral-commission-reversed = ↩️ A payment by someone you referred was refunded, so its { $amount } { $currency } commission was taken back.
invoice-refunded = ↩️ Your payment of { $amount } { $currency } (invoice { $invoiceId }) was refunded.
payout-requested = 🕓 Payout request { $payoutId } for { $amount } { $currency } to { $wallet } ({ $network }) received. An admin will review it.
payout-approved = 👍 Payout { $payoutId } for { $amount } { $currency } was approved and will be sent soon.
payout-paid = ✅ Payout { $payoutId }: { $amount } { $currency } was sent to { $wallet } ({ $network }). Transaction: { $txHash }
payout-rejected = ✖️ Payout { $payoutId } for { $amount } { $currency } was rejected: { $reason }. The amount is back in your available balance.
admin-payout-requested = 🏦 Payout request { $payoutId }: { $amount } { $currency } for user { $userId } to { $wallet } ({ $network }).
admin-payout-reminder = ⏰ Payout request { $payoutId } ({ $amount } { $currency } for user { $userId }) is still waiting for a decision.
admin-payout-reminder-unpaid = ⏰ Payout { $payoutId } ({ $amount } { $currency } to { $wallet }, { $network }) was approved but is not marked paid yet.
payout-approve-button = ✅ Approve
payout-reject-button = ✖️ Reject
