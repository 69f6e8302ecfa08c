# Notifications sent by workflows
invoice-created = 🧾 Invoice for { $amount } { $currency }. Pay with crypto before { $expiresAt }.
invoice-created-credit = 🧾 Invoice for { $amount } { $currency }: the price { $price } { $currency } less { $credit } { $currency } from your balance. Pay with crypto before { $expiresAt }.
invoice-paid-by-credit = ✅ Your balance paid { $amount } { $currency } for this invoice. Thank you!
invoice-pay-button = 💳 Pay
invoice-topup-button = 💳 Pay the rest
invoice-partial = ⚠️ We received { $received } of { $amount } { $currency }. { $missing } { $currency } is missing: pay the rest before the invoice expires.
invoice-paid = ✅ Payment of { $amount } { $currency } received. Thank you!
invoice-overpaid = ✅ Payment received: { $received } { $currency } for { $amount } { $currency }. The extra { $extra } { $currency } is recorded; an admin will contact you about it.
invoice-expired = ⌛ The invoice expired unpaid. Pick a plan again whenever you like.
invoice-expired-order = ⌛ The invoice expired unpaid, so the order is closed. Press Buy again whenever you like.
invoice-cancelled = ✖️ The invoice was cancelled.
invoice-needs-review = ⚠️ The invoice expired with { $received } of { $amount } { $currency } paid ({ $missing } missing). An admin will look at it and contact you.
invoice-late-paid = ⚠️ Your payment arrived after the invoice had closed. It is recorded, and an admin will sort it out with you.
admin-invoice-overpaid = 💰 Invoice { $invoiceId } (user { $userId }) overpaid: { $received } { $currency } for { $amount }; extra { $extra }.
admin-invoice-needs-review = 🔎 Invoice { $invoiceId } (user { $userId }) expired partly paid: { $received } of { $amount } { $currency }.
admin-invoice-late-paid = 🔎 Invoice { $invoiceId } (user { $userId }) received { $received } { $currency } after it closed.
admin-gateway-unreachable = ⚠️ Invoice { $invoiceId } (user { $userId }): the { $provider } status API has not answered for { $minutes } min; the invoice is re-checked, never settled blind.
subscription-activated = 🎉 Your { $plan } subscription is active until { $expiresAt }. Your personal invite links are below: tap to request to join, and you are let in at once.
subscription-trial-started = 🎁 Your { $plan } trial is active until { $expiresAt }. Your personal invite links are below.
subscription-extended = 🔁 Your { $plan } subscription is extended until { $expiresAt }.
subscription-reminder = ⏰ Your { $plan } subscription ends on { $expiresAt }. Renew now to keep access.
subscription-grace = ⏳ Your { $plan } subscription has ended. You keep access until { $accessUntil }: renew before then.
subscription-ended = 👋 Your { $plan } subscription has ended and your access was removed. You can subscribe again at any time.
subscription-refund-shortened = ↩️ A payment for { $plan } was refunded, so the period it paid for was taken back: your subscription now ends on { $expiresAt }.
subscription-refund-ended = ↩️ A payment for { $plan } was refunded, so the period it paid for was taken back: your subscription has ended and your access was removed. You can subscribe again at any time.
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
myplan-credit = 💰 Balance: { $amount } { $currency }, applied to your next invoice
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
    /promo CODE: enter a promo code
    /referral: your referral link and earnings
    /shop: browse the shop; /search words: find products
    /library: everything you bought, to download again
    /sell: open your shop; /products: your products; /balance: your sales money; /alerts: seller alerts by email
    /withdraw: a payout of your sales money · /refund_wallet: where to send a refund owed to you
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
command-library = My purchases
command-balance = My sales money
command-myplan = My subscriptions
command-trial = Free trial
command-language = Change the language
command-help = Help

# Shop: categories, search and the product carousel (bot/features/shop.ts)
command-shop = Browse the shop
command-search = Search products: /search words
shop-menu = 🛍 The shop: choose a category. Sorted by: { $sort }. Price: { $price }.
shop-all-button = 🗂 All products
shop-sort-new = 🆕 New
shop-sort-popular = 🔥 Popular
shop-sort-price = 💲 Price
shop-sort-relevance = 🎯 Best match
shop-price-any = Any price
shop-price-low = ⭐ ≤100
shop-price-mid = ⭐ 101–500
shop-price-high = ⭐ 501+
shop-categories-button = ⬅️ Categories
shop-open-button = 🛍 Open the shop
shop-card-price = 💰 { $price }
shop-card-seller = 🏪 { $shop }
shop-card-rating = ★ { $average } ({ $count } reviews)
shop-card-no-reviews = ★ No reviews yet
shop-category-empty = Nothing on sale here yet. Try another category.
shop-search-usage = Send /search and the words to look for, e.g. /search photoshop course
    Add a Stars price range to filter by price: /search photoshop 100-500 (or 100+).
shop-search-none = Nothing found for “{ $query }”. Try other words or browse /shop.
shop-stale = This button is out of date. Send /shop or /search again.
shop-product-unavailable = ⚠️ This product is not available any more. Browse /shop for others.
shop-unknown = ⚠️ There is no shop at this link. Browse /shop for others.
shop-empty = 🛍 { $shop } has nothing on sale right now. Browse /shop for other shops.

# Buying a product from its card (bot/features/buy.ts)
buy-button = 🛒 Buy
buy-back-button = ◀ Back
buy-owned = You already own this product: it is in your library below.
buy-own-product = This is your own product: sellers cannot buy from their own shop.
buy-unavailable = This product is not for sale any more.
buy-no-rail = This product cannot be paid for right now. Try again later.
buy-rail-unavailable = This way of paying is not available for this product right now. Choose another.
buy-invoice-in-progress = Your open invoice for this product already received money. Finish paying it (or wait for it to be resolved) before choosing another way to pay.
buy-invoice-already-open = You already have an open invoice for this product.
buy-stars-still-open = Your Stars invoice for this product is above in the chat: tap its Pay button.

# Payouts and referrals
referral-commission-held = 💸 You earned { $amount } { $currency } from a payment by someone you referred. It becomes available on { $releaseAt }.
referral-commission-available = ✅ { $amount } { $currency } of referral commission is now available for payout.
referral-commission-reversed = ↩️ A payment by someone you referred was refunded, so its { $amount } { $currency } commission was taken back.
invoice-refunded = ↩️ Your payment of { $amount } { $currency } (invoice { $invoiceId }) was refunded.
payout-requested = 🕓 Payout request { $payoutId } for { $amount } { $currency } to { $wallet } ({ $network }) received. An admin will review it.
payout-approved = 👍 Payout { $payoutId } for { $amount } { $currency } was approved and will be sent soon.
payout-paid = ✅ Payout { $payoutId }: { $amount } { $currency } was sent to { $wallet } ({ $network }). Transaction: { $txHash }
payout-rejected = ✖️ Payout { $payoutId } for { $amount } { $currency } was rejected: { $reason }. The amount is back in your available balance.
admin-channel-unhealthy = 🚨 The bot cannot manage channel “{ $channel }” ({ $channelId }): { $problem }. Give it back the admin rights “Ban users” and “Invite users via link”: until then expired members are not removed and join requests wait; removals are retried on their own.
admin-channel-restored = ✅ The bot can manage channel “{ $channel }” ({ $channelId }) again; pending removals go ahead.
admin-removal-refused = ⚠️ User { $userId } could not be removed from channel { $channelId }: { $problem }. Please remove them by hand.
admin-payout-requested = 🏦 Payout request { $payoutId }: { $amount } { $currency } for user { $userId } to { $wallet } ({ $network }).
admin-payout-reminder = ⏰ Payout request { $payoutId } ({ $amount } { $currency } for user { $userId }) is still waiting for a decision.
admin-payout-reminder-unpaid = ⏰ Payout { $payoutId } ({ $amount } { $currency } to { $wallet }, { $network }) was approved but is not marked paid yet.
payout-approve-button = ✅ Approve
payout-reject-button = ✖️ Reject

# Referral program (bot)
referral-link =
    🤝 Your referral link:
    { $link }
referral-counts = People you referred: { $referred }. Of them paid: { $paid }.
referral-partner = You earn { $percent } % of every payment made by the people you refer. It is held for a while (refunds take it back), then becomes available.
referral-partner-paused = Your referral partnership is paused (it was { $percent } %): new payments earn no commission. What you have earned stays yours.
referral-not-partner = You are not a referral partner, so your referrals earn no commission. Ask an admin if you want to join the program.
referral-balance = Commission: held { $held } · available { $available } · reserved for payouts { $reserved } · paid out { $paidOut }
referral-payout-hint = Withdraw with /payout <amount> <network> <wallet> (minimum { $minimum }).
payout-usage =
    Usage: /payout <amount> <network> <wallet>
    e.g. /payout 25 TRC20 TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL
    Networks: { $networks }. Minimum: { $minimum }. Available: { $available }.
payout-partners-only = Only referral partners can request payouts. See /referral.
payout-bad-amount = ⚠️ That is not an amount: write it like 25 or 25.50.
payout-bad-network = ⚠️ Unknown network. Choose one of { $networks }.
payout-bad-wallet-tron = ⚠️ That is not a TRC20 (TRON) address: it starts with T and has 34 letters and digits.
payout-bad-wallet-evm = ⚠️ That is not a { $network } address: it is 0x followed by 40 hexadecimal digits.
payout-below-minimum = ⚠️ The minimum payout is { $minimum }.
payout-insufficient = ⚠️ You asked for { $amount }, but only { $available } is available.
command-referral = Referral link and earnings

# Admin
admin-help =
    🛠 Admin commands
    /activate <user_id> <days> [plan_id]: add days to a subscription
    /edit <user_id> remove: end every running subscription of the user
    /edit <user_id> setdays <days> [plan_id]: the subscription ends in <days> days (0 ends it now)
    /edit <user_id> marktrial | resettrial: mark the trial used, or give it back
    /export: users CSV · /export_refree: referral partners CSV
    /refree_add <user_id> <percent> · /refree_remove <user_id>
    /approve <payout_id> · /reject <payout_id> [reason] · /paid <payout_id> <tx_hash>
    /payouts: payout requests waiting (referrers, sellers, refunds), with Approve / Reject
    /resolve <invoice_id> accept | credit <days> | balance | refund | writeoff <reason> · /refundpaid <invoice_id> <tx_hash> · /unresolved
    /review: products waiting for review, with Approve / Reject
    Without plan_id, the first plan of /plans is used.
    /newplan: create a plan step by step · /catalog: change, price, stop selling plans, attach channels · /cancel
    /promo_new <CODE> percent <N> | fixed <amount> <currency> [max= per_user= from= until= plans=] · /promos · /promo_disable <CODE>
    /escrow: sales releasing soon, open disputes · /refund_order <order_id> · /resolve_dispute <order_id> refund | release | split [share]
admin-usage-activate = Usage: /activate <user_id> <days> [plan_id]: adds 1–3650 days (default plan: the first of /plans).
admin-usage-edit = Usage: /edit <user_id> remove | setdays <days> [plan_id] | marktrial | resettrial (days 0–3650; 0 ends the subscription).
admin-usage-export = Usage: /export (no arguments): all users as CSV.
admin-usage-export-refree = Usage: /export_refree (no arguments): referral partners with their statistics as CSV.
admin-usage-refree-add = Usage: /refree_add <user_id> <percent>: the commission on each payment of the users they refer, above 0 and up to 100 (e.g. 10 or 12.5).
admin-usage-refree-remove = Usage: /refree_remove <user_id>
admin-usage-approve = Usage: /approve <payout_id>
admin-usage-reject = Usage: /reject <payout_id> [reason]
admin-usage-paid = Usage: /paid <payout_id> <transaction_hash>
admin-bad-user-id = ⚠️ “{ $given }” is not a Telegram user id (a positive whole number).
admin-bad-days = ⚠️ “{ $given }” is not a number of days: give a whole number from { $min } to { $max }.
admin-bad-percent = ⚠️ “{ $given }” is not a commission: give a percentage above 0 and up to 100, like 10 or 12.5.
admin-unknown-user = ⚠️ User { $userId } is unknown to the bot: they have to start it first.
admin-unknown-plan = ⚠️ There is no plan “{ $planId }”. Active plans: { $plans }.
admin-no-plan = ⚠️ There is no active plan to use: give a plan_id.
admin-granted = ✅ { $days } days of { $plan } granted to user { $userId }.
admin-days-set = ✅ The { $plan } subscription of user { $userId } now ends in { $days } days.
admin-removed = ✅ Ending the subscriptions of user { $userId } ({ $plans }) and removing them from the channels.
admin-nothing-to-remove = ℹ️ User { $userId } has no running subscription: nothing to remove.
admin-trial-marked = ✅ The trial of user { $userId } is marked as used.
admin-trial-reset = ✅ The trial of user { $userId } is reset: they can start one again.
admin-export-users = 📄 Users ({ $rows } rows)
admin-export-referrers = 📄 Referral partners ({ $rows } rows)
admin-export-done = ✅ Export sent: { $rows } rows.
admin-referrer-added = ✅ User { $userId } is a referral partner with { $percent } % commission. Their link: { $link }
admin-referrer-removed = ✅ User { $userId } is no longer a referral partner: new payments of their referrals earn nothing. Their balance stays theirs.
admin-not-a-referrer = ⚠️ User { $userId } is not a referral partner.
admin-payout-approved = ✅ Payout { $payoutId } approved. Once sent, record it with /paid { $payoutId } <transaction_hash>.
admin-payout-rejected = ✖️ Payout { $payoutId } rejected ({ $reason }). The amount is back in the partner's available balance.
admin-payout-paid = ✅ Payout { $payoutId } marked as paid ({ $txHash }).
admin-payout-default-reason = declined by an admin
admin-payout-unknown = ⚠️ There is no payout “{ $payoutId }”.
admin-payout-cannot-approve = ⚠️ Payout { $payoutId } is { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""} (decided by { $decidedBy })
  }: it cannot be approved.
admin-payout-cannot-reject = ⚠️ Payout { $payoutId } is { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""} (decided by { $decidedBy })
  }: it cannot be rejected.
admin-payout-cannot-markPaid = ⚠️ Payout { $payoutId } is { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""} (decided by { $decidedBy })
  }: it cannot be marked as paid.
admin-payout-bad-hash = ⚠️ That is not a transaction hash on the network of payout { $payoutId } (TRC20: 64 hexadecimal digits; BEP20 and ERC20: 0x and 64 hexadecimal digits).

# Admin: the catalog (/newplan, /catalog)
plan-bad-id = ⚠️ “{ $given }” is not a plan id: 1–32 lowercase letters, digits or _, starting with a letter (like monthly or vip_30).
plan-bad-title = ⚠️ A plan title has 1 to { $max } characters.
plan-bad-duration = ⚠️ “{ $given }” is not a period length: a whole number above 0 of days (30 or 30d), hours (12h), minutes (90m) or seconds (45s), at most 3650 days.
plan-bad-trial = ⚠️ “{ $given }” is not a trial length: 0 for no trial, or a length like 3d, 12h or 30m (at most 3650 days).
plan-bad-currency = ⚠️ Unknown currency “{ $given }”: use one of { $currencies }.
plan-bad-price = ⚠️ “{ $given }” is not a price: give a positive amount with at most 2 decimals and a currency, like 9.99 USD.
plan-bad-stars = ⚠️ “{ $given }” is not a Stars price: send a whole number of Stars from { $min } to { $max }, or - to not sell the plan for Stars.
plan-stars-out-of-range = ⚠️ { $given } Stars is out of range: a Stars price is from { $min } to { $max } Stars (Telegram's limit), or - to not sell the plan for Stars.
plan-unknown = ⚠️ There is no plan “{ $planId }”.
plan-exists = ⚠️ A plan with the id “{ $planId }” already exists: choose another id.
plan-no-channels = ⚠️ A plan needs at least one channel.
plan-nothing-to-edit = ⚠️ Nothing to change.
plan-last-channel = ⚠️ That is the only channel of plan { $planId }: attach another one first.
channel-not-found = ⚠️ Telegram does not know the channel { $channel }, or the bot is not in it. Add the bot to the channel as an administrator first.
channel-not-a-channel = ⚠️ { $channel } is not a channel or supergroup.
channel-bot-not-admin = ⚠️ The bot is not an administrator of “{ $channel }” (its status there: { $status }). Make it an administrator with these rights: { $rights }.
channel-missing-rights = ⚠️ The bot is an administrator of “{ $channel }” but lacks these rights: { $rights }. Grant them in the channel's administrator settings.
plan-admin-ask-id = 🆕 New plan. Send its id: 1–32 lowercase letters, digits or _ (like monthly). /cancel stops.
plan-admin-ask-title = Send the plan's title, as subscribers will see it.
plan-admin-ask-duration = Send the length of one paid period: 30 (days), 30d, 12h, 90m or 45s.
plan-admin-ask-price = Send the price with its currency, like 9.99 USD (EUR and RUB work too).
plan-admin-ask-trial = Send the free trial length (like 3d), or 0 for no trial.
plan-admin-ask-stars = Send the price in Telegram Stars, a whole number from 1 to 10000 (like 500), or - (or skip) not to sell the plan for Stars. Telegram requires digital goods in bots to be payable in Stars.
plan-admin-ask-stars-edit = Send the new price in Telegram Stars, a whole number from 1 to 10000 (like 500), or - (or 0) to stop selling the plan for Stars.
plan-admin-stars-no-words = no,skip
plan-admin-stars = ⭐ { $stars } Stars
plan-admin-no-stars = not sold for Stars
plan-admin-ask-channels =
    Pick the channels this plan opens, or add one: forward a post from it, or send its @username or id (-100…). The bot must be an administrator there with the rights to invite users and ban members.
    Picked: { $picked }
plan-admin-ask-attach = Forward a post from the channel to attach, or send its @username or id (-100…).
plan-admin-bad-channel-ref = ⚠️ That is no channel: forward a post from it, or send its @username or id (-100…).
plan-admin-no-trial = no trial
plan-admin-confirm =
    Create this plan?
    Id: { $id }
    Title: { $title }
    Period: { $duration }
    Price: { $price }
    Stars price: { $stars }
    Trial: { $trial }
    Channels: { $channels }
plan-admin-press-create = Press Create or Cancel under the summary.
plan-admin-created = ✅ Plan { $title } ({ $id }) created and on sale.
plan-admin-cancelled = Cancelled. Nothing was changed.
plan-admin-no-flow = Nothing to cancel.
plan-admin-stale = This button belongs to a finished flow: start again with /newplan or /catalog.
plan-admin-checking = Checking the bot's rights…
plan-admin-send-text = Send it as a text message.
plan-admin-catalog = 🗂 Plans (⏸ = not on sale). Choose one to change it:
plan-admin-catalog-empty = There are no plans yet: create one with /newplan.
plan-admin-card =
    { $title } ({ $id }): { $state }
    Period: { $duration }
    Price: { $price } (a change applies to new invoices only)
    Stars price: { $stars }
    Trial: { $trial }
    Channels: { $channels }
plan-admin-state-active = on sale
plan-admin-state-inactive = not on sale (running subscriptions go on)
plan-admin-saved = ✅ Saved.
plan-admin-price-saved = ✅ Price saved: new invoices use it; open invoices and running subscriptions keep theirs.
plan-admin-stars-saved = ✅ Stars price saved: new Stars invoices use it; open invoices and running subscriptions keep theirs.
plan-admin-stars-removed = ✅ The plan is no longer sold for Stars. Open Stars invoices and running subscriptions are not affected.
plan-admin-attached = ✅ { $channel } attached: new subscribers get an invite to it.
plan-admin-already-attached = ℹ️ { $channel } is already attached to this plan.
plan-admin-detached = Channel detached.
plan-admin-activated = ✅ { $title } is on sale again.
plan-admin-deactivated = ⏸ { $title } is no longer on sale. Running subscriptions go on until they end.
plan-admin-done-button = ✔️ Done
plan-admin-cancel-button = ✖️ Cancel
plan-admin-create-button = ✅ Create
plan-admin-edit-title-button = ✏️ Title
plan-admin-edit-duration-button = ⏱ Period
plan-admin-edit-trial-button = 🎁 Trial
plan-admin-edit-price-button = 💲 Price
plan-admin-edit-stars-button = ⭐ Stars price
plan-admin-attach-button = ➕ Attach a channel
plan-admin-detach-button = ➖ Detach { $channel }
plan-admin-deactivate-button = ⏸ Stop selling
plan-admin-activate-button = ▶️ Sell again

# Selling (bot/features/sell.ts)
command-sell = Open a shop and sell
sell-terms = 🏪 Open a shop and sell digital goods.

    By accepting you agree that:
    • you sell digital goods only (files, courses, e-books, templates…), which you have the right to sell;
    • you upload no executable programs (.exe, .apk, scripts and the like): such files are refused;
    • the money of each sale is held for 24 hours (escrow) before it becomes payable to you, so buyers can report a problem;
    • the platform keeps a fee from each sale.
sell-accept-button = ✅ Accept
sell-ask-name = What is your shop called? Send its name (1–64 characters).
sell-name-placeholder = My shop
sell-bad-name = ⚠️ A shop name has 1–{ $max } characters (this one has { $given }). Nothing was saved.
sell-shop-created = 🎉 Your shop “{ $name }” is open.
    Its link: { $link }
    Upload your first product with the button below.
sell-shop = 🏪 Your shop “{ $name }”: { $link }
sell-upload-button = 📤 Upload a product
sell-products-not-seller = You have no shop yet. Send /sell to open one.
sell-products-none = Your shop has no products yet. Upload one with the button below.
sell-hide-button = 🙈 Hide “{ $title }”
sell-show-button = 👁 Show “{ $title }”
sell-delete-button = 🗑 Delete
sell-delete-confirm = Delete “{ $title }”? It leaves the catalog for good; buyers keep it in their library.
sell-delete-confirm-button = 🗑 Yes, delete
sell-delete-keep-button = Keep it
sell-delete-done = Done with “{ $title }”. Send /products for the list.
sell-deleted = Deleted.
sell-kept = Kept.
sell-updated = Saved.
sell-product-gone = This product is not in your shop (any more).
sell-products = 📦 Your products (newest first, { $shown } shown):
sell-product-line = { $title }
    { $status } · { $price }
sell-price-stars = { $stars } ⭐️
sell-status-draft = 📝 draft
sell-status-pending_review = ⏳ waiting for review
sell-status-active = ✅ on sale
sell-status-hidden = 🙈 hidden
sell-status-rejected = ⛔️ rejected
sell-edit-button = ✏️ Edit
product-edit-card =
    ✏️ { $title }
    { $status } · { $price }
    🗂 { $category }

    { $description }
product-edit-no-description = (no description)
product-edit-review-note = ⏳ Products are reviewed: a change sends this one back to review before buyers see it again.
product-edit-title-button = ✏️ Title
product-edit-description-button = 📝 Description
product-edit-price-button = 💲 Price in { $currency }
product-edit-stars-button = ⭐ Stars price
product-edit-category-button = 🗂 Category
product-edit-cover-button = 🖼 Cover
product-edit-file-button = 📦 Replace the file
product-edit-back-button = ⬅️ My products
product-edit-card-button = ⬅️ Back
product-edit-ask-title = Send the new title of “{ $title }” (1–{ $max } characters), or /products to leave it.
product-edit-ask-description = Send the new description of “{ $title }” (up to { $max } characters), or /products to leave it.
product-edit-ask-price = Send the new price of “{ $title }” in { $currency }, like 9.99, or /products to leave it.
product-edit-ask-stars = Send the new Stars price of “{ $title }”: a whole number from { $min } to { $max }, or /products to leave it.
product-edit-ask-category = Choose the category of “{ $title }”:
product-edit-not-saved = Nothing was saved. Send it again, or /products to leave it.
product-edit-saved = ✅ Saved.
product-edit-saved-review = ✅ Saved. It waits for an admin's review before buyers see it again.
# Refusals of the product rules (domain/product.ts, infrastructure/catalog/products.ts)
product-bad-title = ⚠️ A product title has 1–{ $max } characters.
product-bad-description = ⚠️ A description has at most { $max } characters (this one has { $given }).
product-no-price = ⚠️ A product needs a price: in a currency, in Stars, or both.
product-bad-currency = ⚠️ “{ $given }” is not a currency for prices: use one of { $currencies }.
product-bad-price = ⚠️ “{ $given }” is not a price in { $currency }: send a positive amount like 9.99, at most { $max }.
product-bad-stars = ⚠️ “{ $given }” is not a Stars price: send a whole number from { $min } to { $max }.
product-stars-out-of-range = ⚠️ { $given } Stars is out of range: a Stars price is { $min }–{ $max } Stars.
product-bad-category = ⚠️ There is no category “{ $given }”.
product-currency-needs-price = ⚠️ A new currency needs its price.
shop-bad-slug = ⚠️ “{ $given }” cannot be a shop's link name: 3–32 of a–z, 0–9 and -, not starting or ending with -.

# Admin: the review queue (bot/features/review.ts)
review-queue-empty = { $review ->
    [on] ✅ The review queue is empty.
   *[off] ✅ The review queue is empty. Reviews are off (PRODUCT_REVIEW), so published products go on sale directly.
  }
review-card-head = 🔎 Review { $position } / { $total } (oldest first)
review-card-shop = 🏪 { $shop } (seller { $sellerId })
review-card-category = 🗂 { $category }
review-card-file = 📄 { $name } · { $size }
review-card-no-file = 📄 no stored file
review-card-sent = 🕓 sent { $at }
review-approve-button = ✅ Approve
review-reject-button = ⛔️ Reject
review-approved-short = Approved.
review-approved = ✅ “{ $title }” is on sale now.{ $told ->
    [yes] {""} The seller was told.
   *[no] {""} ⚠️ The seller could not be told (they may have blocked the bot).
  }
review-rejected = ⛔️ “{ $title }” rejected: { $reason }{ $told ->
    [yes] {""} The seller was told.
   *[no] {""} ⚠️ The seller could not be told (they may have blocked the bot).
  }
review-reason-prompt = ✍️ Why is “{ $title }” rejected? Reply to this message with the reason (1–{ $max } characters): the seller reads it.
review-reason-placeholder = The reason, for the seller
review-bad-reason = ⚠️ A reason has 1–{ $max } characters (this one has { $given }). Nothing was changed.
review-gone = ⚠️ This product was deleted by its seller: nothing to decide.
review-already = ⚠️ “{ $title }” was already decided ({ $status }): nothing was changed.
review-changed = ⚠️ “{ $title }” was changed since this card was shown: nothing was changed. Look at it again in the queue.
review-approved-seller = ✅ Your product “{ $title }” passed review and is on sale: { $link }
review-rejected-seller = ⛔️ Your product “{ $title }” did not pass review.
    Reason: { $reason }
    Fix it in the upload page and publish it again: it goes back to the review queue.

# The buyer's library (bot/features/library.ts)

# Orders: the delivery message, its reminder, and the seller's sale notice
order-delivered =
    📦 { $title } is yours!
    File: { $fileName } ({ $size }). Download it with the buttons below, now or later from /library.
order-delivered-document =
    📦 { $title } is yours! The file is attached: { $fileName } ({ $size }).
    You can download it again any time from /library.
order-download-page-button = ⬇️ Download
order-download-link-button = 🔗 Download link
order-download-reminder = 📦 You have not downloaded { $title } yet. It is waiting for you:
order-sold-seller = 💰 Sold: { $title } for { $price } (order { $orderId }). The money is held in escrow until the sale is final.
alerts-not-seller = Email alerts are for sellers: open a shop with /sell first.
alerts-on = 📧 Seller alerts are emailed to { $email }. Tap a kind below to turn it off or on; send /alerts off to stop all emails.
alerts-off = 📧 Seller alerts come only here in Telegram. Send /alerts you@example.com to get them by email too.
alerts-turned-on = ✅ Seller alerts will be emailed to { $email }. Send /alerts to choose which.
alerts-kind-on = ✅ { $kind }: emailed
alerts-kind-off = 🚫 { $kind }: not emailed
alerts-kind-turned-on = { $kind } will be emailed again
alerts-kind-turned-off = { $kind } will not be emailed
alerts-kind-sale = Sales
alerts-kind-release = Escrow releases
alerts-kind-dispute = Disputes
alerts-kind-payout = Payouts
alerts-turned-off = ✅ No more email alerts; they still come here.
alerts-bad-email = That is not an email address. Send /alerts you@example.com, or /alerts off.
email-sale-subject = Sold: { $title }
email-sale-text =
    Hello { $shop },

    You sold { $title } for { $price } (order { $orderId }).
    The money is held in escrow until the sale is final; /balance in the bot shows it.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
escrow-released-seller = ✅ The sale of { $title } (order { $orderId }) is final: { $amount } is now available to you (platform fee { $fee }).
balance-not-seller = You have no shop, so there is no sales balance. Open one with /sell; referral earnings are in /referral.
balance-seller-empty = 💼 No sales yet: your balance is empty.
balance-seller-header = 💼 Your sales balance
balance-seller-money = In escrow { $held } · available { $available } · platform fee taken { $fees }
balance-seller-hold = ⏳ { $title }: { $amount }, released { $releaseAt }

library-empty = Your library is empty. Products you buy stay here for good: browse /shop.
library-header = 📚 Your library ({ $total }), newest purchase first:
library-item = { $n }. { $title } · 🏪 { $shop } · bought { $date }
library-removed = (no longer in the catalog; still yours)
library-previous-button = ◀ Newer
library-next-button = Older ▶
library-download = ⬇️ Your download link works once, for { $minutes } min. Press ⬇️ in /library again for a new one.
library-download-button = ⬇️ Download
library-download-page-button = 📱 Download page
library-download-refused = This purchase is not yours to download (any more).
library-download-busy = Too many downloads: at most { $perHour } an hour. Try again in { $minutes } min.

# The upload Mini App page (api/miniapp/pages/upload.ts; texts sent by GET /miniapp/api/session)

upload-page-new = New product
upload-page-title = Title
upload-page-description = Description
upload-page-category = Category
upload-page-price = Price
upload-page-currency = Currency
upload-page-stars = Price in Telegram Stars
upload-page-file = File
upload-page-cover = Cover image
upload-page-submit = Upload and publish
upload-page-pause = Pause
upload-page-resume = Resume
upload-page-retry = Retry
upload-page-file-limit = Up to { $size }.
upload-page-choose-file = Choose the file to sell.
upload-page-too-big = { $name } is { $size }; the limit is { $limit }.
upload-page-resuming = Resuming { $name }: the parts already stored are not sent again.
upload-page-progress = { $percent }% · { $sent } of { $total }
upload-page-done-live = Uploaded. Your product is live in the catalog.
upload-page-done-review = Uploaded. Your product is waiting for a moderator; the bot will tell you when it is live.

# Admin resolutions (workflow resolution:<invoiceId>)
admin-resolution-open =
    🧾 Invoice { $invoiceId } (user { $userId }) needs a decision: { $amount } { $currency } { $kind ->
        [partial] arrived, less than the price, before the invoice expired.
        [late] arrived after the invoice had closed unpaid.
        [overpaid] arrived above the price.
       *[other] arrived that the invoice could not settle ({ $kind }).
    }
    Accept it as paid (a partial payment only), credit the user (days of the plan, about { $days } at the plan's price, or a balance for the next invoice), refund it, or write it off.
    Commands: /resolve { $invoiceId } accept | credit <days> | balance | refund | writeoff <reason>
admin-resolution-reminder = ⏰ Invoice { $invoiceId } (user { $userId }): { $amount } { $currency } still waits for a decision.
admin-resolution-refund-reminder = ⏰ The refund of { $amount } { $currency } for invoice { $invoiceId } (user { $userId }) is not paid out yet. Once sent: /refundpaid { $invoiceId } <transaction_hash>
admin-resolution-decided =
    ✅ Invoice { $invoiceId } (user { $userId }): { $amount } { $currency } { $action ->
        [accept] accepted as paid; the subscription is activated.
        [credit-extend] credited as { $days } days of the plan.
        [credit-balance] kept as the user's balance for the next invoice.
        [refund] to be refunded. Once sent: /refundpaid { $invoiceId } <transaction_hash>
        [writeoff] written off: { $reason }
       *[other] resolved.
    } (by { $by })
admin-resolution-refund-paid = ✅ The refund of { $amount } { $currency } for invoice { $invoiceId } (user { $userId }) was paid out in { $txHash } (by { $by }).
resolution-accept-button = ✅ Accept as paid
resolution-credit-button = 🎁 Credit
resolution-refund-button = ↩️ Refund
resolution-writeoff-button = 🗑 Write off
resolution-refundPaid-button = 💸 Refund paid
resolution-extend-button = ➕ Extend { $days } days
resolution-balance-button = 💰 Keep as balance
resolution-back-button = ← Back
resolution-user-accepted = ✅ Your payment of { $amount } { $currency } for invoice { $invoiceId } was accepted as full payment. Your subscription is being activated.
resolution-user-extended = 🎁 Your payment of { $amount } { $currency } for invoice { $invoiceId } was credited: { $days } days were added to your subscription.
resolution-user-balance = 💰 Your payment of { $amount } { $currency } for invoice { $invoiceId } is kept as your balance for the next invoice.
resolution-user-refund = ↩️ Your payment of { $amount } { $currency } for invoice { $invoiceId } will be refunded. We will tell you when it is sent.
resolution-user-refund-paid = ✅ The refund of { $amount } { $currency } for invoice { $invoiceId } was sent. Transaction: { $txHash }
resolution-user-closed = ℹ️ The payment case of invoice { $invoiceId } was closed by an admin. Write to support if you have questions.
admin-usage-resolve = Usage: /resolve <invoice_id> accept | credit <days> | balance | refund | writeoff <reason>
admin-usage-refundpaid = Usage: /refundpaid <invoice_id> <transaction_hash>
admin-usage-unresolved = Usage: /unresolved (no arguments): cases waiting for a decision or a refund payout.
admin-resolution-unknown = ⚠️ There is no open case for invoice “{ $invoiceId }”.
admin-resolution-refused = ⚠️ Invoice { $invoiceId }: { $reason }.
admin-resolution-done =
    ✅ Invoice { $invoiceId }: { $amount } { $currency } { $action ->
        [accept] accepted as paid; the subscription is activated.
        [credit-extend] credited as { $days } days of the plan.
        [credit-balance] kept as the user's balance.
        [refund] to be refunded (payable). Once sent: /refundpaid { $invoiceId } <transaction_hash>
        [writeoff] written off: { $reason }
        [refund-paid] refunded in { $txHash }.
       *[other] resolved.
    }
admin-resolution-already =
    ℹ️ Invoice { $invoiceId } was already decided by { $by }: { $amount } { $currency } { $action ->
        [accept] accepted as paid.
        [credit-extend] credited as { $days } days.
        [credit-balance] kept as the user's balance.
        [refund] to be refunded{ $txHash ->
            [none] , not paid out yet.
           *[other] , paid out in { $txHash }.
        }
        [writeoff] written off: { $reason }
       *[other] resolved.
    }
admin-resolution-nothing = ℹ️ Invoice { $invoiceId }: nothing is held for it any more; there is nothing to decide.
admin-resolution-writeoff-prompt = Reply with the reason for writing off invoice { $invoiceId }. [writeoff:{ $invoiceId }]
admin-resolution-txhash-prompt = Reply with the transaction hash of the refund for invoice { $invoiceId }. [refundpaid:{ $invoiceId }]
admin-resolution-list-empty = ✅ No case waits for a decision.
admin-resolution-list =
    🧾 Waiting: { $count }
    { $lines }

# Payment rails: NOWPayments addresses, Telegram Stars
charge-description = Access to { $title } for { $days } days.
charge-description-order = { $title }: a digital product, delivered in this chat once paid.
invoice-address =
    🧾 Invoice for { $amount } { $currency }.
    Send exactly { $coinAmount } { $coin } to this address:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / tag (required): { $memo }
       *[no] {""}
    }
    Pay before { $expiresAt }. The QR code holds the address. Status: ⏳ waiting for your payment.
invoice-address-credit =
    🧾 Invoice for { $amount } { $currency }: the price { $price } { $currency } less { $credit } { $currency } from your balance.
    Send exactly { $coinAmount } { $coin } to this address:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / tag (required): { $memo }
       *[no] {""}
    }
    Pay before { $expiresAt }. The QR code holds the address. Status: ⏳ waiting for your payment.
invoice-address-confirming =
    🧾 Invoice for { $amount } { $currency }: { $coinAmount } { $coin } to
    { $address }
    Status: 🔄 your coins were seen and are being confirmed by the network.
invoice-address-paid =
    🧾 Invoice for { $amount } { $currency }: { $coinAmount } { $coin } to
    { $address }
    Status: ✅ paid. Thank you!
invoice-address-topup =
    ⚠️ We received { $received } of { $amount } { $currency }; { $missing } { $currency } is missing.
    Send { $coinAmount } { $coin } to this address to complete it:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / tag (required): { $memo }
       *[no] {""}
    }
    Pay before { $expiresAt }. Status: ⏳ waiting for the rest.
invoice-address-still-open =
    🧾 Your invoice is still open until { $expiresAt }. Send { $coinAmount } { $coin } to:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / tag (required): { $memo }
       *[no] {""}
    }
invoice-check-button = 🔄 Check status
invoice-check-unknown = This invoice is not yours or does not exist.
invoice-check-status = Invoice status: { $status }. We asked the payment system again; this chat is updated as soon as it moves.
invoice-in-progress = Your open invoice for this plan already received money. Finish paying it (or wait for it to be resolved) before choosing another way to pay.
invoice-stars-still-open = Your Stars invoice for this plan is above in the chat: tap its Pay button.
plan-pay-address-button = 🪙 Pay { $price } in crypto (address and QR)
plan-pay-stars-button = ⭐ Pay { $stars } Stars
plan-price-stars = Or { $stars } ⭐ Telegram Stars.
plan-no-rail = ⚠️ This plan cannot be paid right now. Please check back later.
plan-choose-coin = { $title } · { $price }. Choose the coin you will pay with:
rail-unavailable = This way of paying is not available for this plan right now.
stars-refused-unknown = This invoice is not known. Please open the plan again.
stars-refused-closed = This invoice is no longer open. Please open the plan again for a new one.
stars-refused-amount = The amount of this invoice has changed. Please open the plan again.
stars-paid-closed = ⚠️ Your payment arrived after invoice { $invoiceId } had closed. It is recorded; write /paysupport and we will refund or apply it.
paysupport =
    💬 Payment support
    For any question about a payment, a refund or a missing activation, write to the admins of this bot and give your invoice id (your latest: { $invoiceId }). Payments in Telegram Stars can be refunded to your Stars balance; crypto refunds go to the wallet you name.
    Telegram support cannot help with purchases made in this bot.
command-paysupport = Payment support

# Promo codes (bot/features/promos.ts)
command-promo = Enter a promo code
promo-percent = { $percent } %
promo-scope-all = any plan
promo-scope-plans = plans { $ids }
promo-scope-products = products { $ids }
promo-scope-sellers = sellers { $ids }
promo-window-always = no dates
promo-window-from = starts { $from }
promo-window-until = ends { $until }
promo-window-between = { $from } → { $until }
promo-saved = ✅ Promo code { $code } saved: { $discount } off ({ $scope }). It will be applied to your next invoice.
promo-current = 🎟 Your promo code { $code }: { $discount } off ({ $scope }). It will be applied to your next invoice.
promo-ends = Valid until { $until }.
promo-prices = With it you pay:
promo-plan-price = { $plan }: { $price } → { $charged }
promo-no-plan-applies = It does not apply to any plan on sale right now.
promo-current-unusable = 🎟 Your saved promo code { $code } can no longer be used:
promo-none = 🎟 You have no promo code. Send /promo CODE, or press the button and type it.
promo-ask = 🎟 Send me your promo code.
promo-enter-button = 🎟 Promo code
promo-change-button = 🎟 Another code
promo-clear-button = ✖️ Remove the code
promo-cleared = Promo code removed: your next invoice is at the full price.
promo-nothing-to-clear = You have no promo code saved.
promo-refused-unknown = ⚠️ There is no promo code “{ $code }”. Check the spelling and try again.
promo-refused-disabled = ⚠️ The promo code { $code } has been withdrawn.
promo-refused-not-started = ⚠️ The promo code { $code } is valid from { $from }.
promo-refused-ended = ⚠️ The promo code { $code } has expired.
promo-refused-exhausted = ⚠️ The promo code { $code } has been used up.
promo-refused-user-limit = ⚠️ You have already used the promo code { $code }.
promo-refused-out-of-scope = ⚠️ The promo code { $code } does not apply to this purchase.
promo-refused-currency = ⚠️ The promo code { $code } applies only to prices in { $currency }.
promo-refused-no-discount = ⚠️ The promo code { $code } takes nothing off this price.
admin-usage-promo-new =
    Usage: /promo_new <CODE> percent <1–100> [options]
    or: /promo_new <CODE> fixed <amount> <USD|EUR|RUB|XTR> [options]
    Options: max=<N> (all users together; default: no limit) · per_user=<N> (default 1) · from=<YYYY-MM-DD> · until=<YYYY-MM-DD> (through that day; or YYYY-MM-DDTHH:MM, UTC) · plans=<id>,<id> (default: every plan)
    Example: /promo_new SPRING20 percent 20 max=100 until=2026-12-31
admin-usage-promos = Usage: /promos (no arguments): every promo code with its redemptions, caps, dates and status.
admin-usage-promo-disable = Usage: /promo_disable <CODE>: the code can no longer be entered or redeemed.
promo-admin-created =
    ✅ Promo code { $code } created: { $discount } off, { $scope }.
    Redemptions: { $max } · per user: { $perUser } · { $window }
    Link that enters it: { $link }
promo-admin-list = 🎟 Promo codes (newest first):
promo-admin-list-empty = There are no promo codes yet: create one with /promo_new.
promo-admin-line =
    { $code } · { $discount } off · { $status }
    redeemed { $redeemed } of { $max } ({ $used } paid) · { $perUser } per user · { $window } · { $scope }
promo-admin-unlimited = no limit
promo-status-active = ✅ active
promo-status-disabled = ⏸ disabled
promo-status-scheduled = 🕓 not started
promo-status-ended = ⌛ ended
promo-status-exhausted = 🈵 used up
promo-admin-disabled = ⏸ Promo code { $code } disabled: it can no longer be entered or redeemed. Invoices already priced with it keep their discount.
promo-admin-already-disabled = ℹ️ Promo code { $code } was already disabled.
promo-unknown = ⚠️ There is no promo code “{ $code }”. See /promos.
promo-exists = ⚠️ The promo code { $code } already exists (a code is never reused; see /promos).
promo-unknown-plans = ⚠️ Unknown plan(s): { $plans }. Plans: { $known }.
promo-bad-code = ⚠️ “{ $given }” is not a promo code: 3–32 letters A–Z, digits, _ or -.
promo-bad-kind = ⚠️ “{ $given }” is not a kind of discount: percent or fixed.
promo-bad-percent = ⚠️ “{ $given }” is not a discount percentage: above 0 and at most 100, like 20 or 12.5.
promo-bad-amount = ⚠️ “{ $given }” is not an amount in { $currency }: a positive amount with at most its decimals, up to { $max }.
promo-bad-currency = ⚠️ Unknown currency “{ $given }”: use one of { $currencies }.
promo-bad-max = ⚠️ max={ $given }: give a whole number from 1 to { $max }.
promo-bad-per-user = ⚠️ per_user={ $given }: give a whole number from 1 to { $max }.
promo-bad-date = ⚠️ { $name }={ $given } is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC).
promo-bad-window = ⚠️ until={ $until } is not after from={ $from }.
promo-ends-in-past = ⚠️ until={ $until } has already passed: nobody could use the code.
promo-bad-plans = ⚠️ plans={ $given }: give plan ids separated by commas, like plans=monthly,yearly.
promo-bad-option = ⚠️ “{ $given }” is not an option. Options: { $options }
promo-repeated-option = ⚠️ { $name }= is given twice.
invoice-promo-applied = 🎟 Promo code { $code } applied: { $discount } { $currency } off. You pay { $price } { $currency }.
invoice-promo-refused = ⚠️ The promo code { $code } could not be applied to this invoice ({ $reason }); it is at the full price.
invoice-paid-by-promo = ✅ Your promo code covered the whole price. Thank you!
plan-promo-applied = 🎟 With your promo code { $code } you pay { $price } (or { $stars } ⭐).
plan-promo-not-applied = 🎟 Your promo code { $code } does not apply to this plan.

## payouts
# Seller payouts (/balance, /withdraw), refund payouts (/refund_wallet), admin /payouts.
payout-stars-not-paid-out = ⭐ Stars proceeds are not paid out to a crypto wallet: they stay in your balance. Write to support if you need them settled.
payout-blocked-negative = ⚠️ Your available balance is { $available }: a refund took back money already released to you. Payouts are blocked until new earnings cover it (you asked for { $amount }).
payout-blocked = ⚠️ Your available balance is { $available }: a refund took back money already released to you. Payouts are blocked until new earnings cover it.
payout-nothing-available = Nothing to pay out yet: { $available } is available and the minimum payout is { $minimum }.
payout-ask-button = 💸 Request a payout ({ $currency })
payout-choose-network = 💸 Payout of your { $currency } balance: on which network should it be sent?
payout-ask-wallet = Send your { $network } wallet address (reply to this message).
payout-ask-amount = How much? Available: { $available } · minimum: { $minimum }. Send the amount, like 25 or 25.50.
withdraw-usage =
    Usage: /withdraw <amount> <network> <wallet>
    e.g. /withdraw 25 TRC20 TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL
    Networks: { $networks }. Minimum: { $minimum }. Available: { $available }.
    Or press 💸 Request a payout under /balance.
balance-seller-payouts = Reserved by payout requests { $reserved } · paid out { $paidOut }
balance-seller-negative = ⚠️ Available is { $available } after a refund was clawed back: payouts are blocked until sales cover it.
balance-seller-stars = ⭐ Stars proceeds are not paid out to a crypto wallet.
balance-seller-payout-hint = Withdraw with the button below or /withdraw <amount> <network> <wallet> (minimum { $minimum }).
refund-wallet-nothing-owed = There is no refund owed to you to pay to a wallet.
refund-wallet-choose-network = ↩️ You are owed { $owed } back. On which network should it be sent?
refund-payout-requested = 🕓 Your refund { $payoutId } of { $amount } { $currency } to { $wallet } ({ $network }) is on its way to an admin, who sends it.
refund-payout-approved = 👍 Your refund { $payoutId } of { $amount } { $currency } was approved and will be sent soon.
refund-payout-paid = ✅ Your refund { $payoutId }: { $amount } { $currency } was sent to { $wallet } ({ $network }). Transaction: { $txHash }
refund-payout-rejected = ✖️ Your refund payout { $payoutId } could not be sent: { $reason }. The refund is still owed to you: give a wallet again with /refund_wallet.
admin-payout-requested-seller = 🏦 Seller payout request { $payoutId }: { $amount } { $currency } for seller { $userId } to { $wallet } ({ $network }).
admin-payout-requested-refund = ↩️ Refund payout request { $payoutId }: { $amount } { $currency } owed back to buyer { $userId }, to { $wallet } ({ $network }).
admin-payout-rejected-seller = ✖️ Payout { $payoutId } rejected ({ $reason }). The amount is back in the seller's available balance.
admin-payout-rejected-refund = ✖️ Refund payout { $payoutId } rejected ({ $reason }). The refund is owed to the buyer again.
payout-kind-referrer = referrer
payout-kind-seller = seller
payout-kind-refund = refund
admin-usage-payouts = Usage: /payouts (no arguments): payout requests waiting for approval or payment, oldest first.
admin-payouts-empty = ✅ No payout requests are waiting.
admin-payouts-header = 🏦 Payout requests waiting: { $count } (oldest first)
admin-payouts-line = { $payoutId } · { $kind } { $userId } · { $amount } · { $network } { $wallet } · waiting { $waited }
admin-payouts-line-approved = { $payoutId } · { $kind } { $userId } · { $amount } · { $network } { $wallet } · approved, waiting { $waited }: once sent, /paid { $payoutId } <tx_hash>
admin-payouts-more = …and { $more } more.
email-payout-requested-subject = Payout request { $payoutId } received
email-payout-requested-text =
    Hello { $shop },

    We received your payout request { $payoutId } for { $amount } { $currency } to { $wallet } ({ $network }).
    The amount is reserved from your available balance until an admin sends or declines it.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-payout-approved-subject = Payout { $payoutId } approved
email-payout-approved-text =
    Hello { $shop },

    Your payout { $payoutId } for { $amount } { $currency } was approved and will be sent to { $wallet } ({ $network }) soon.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-payout-paid-subject = Payout { $payoutId } sent: { $amount } { $currency }
email-payout-paid-text =
    Hello { $shop },

    Your payout { $payoutId }: { $amount } { $currency } was sent to { $wallet } ({ $network }).
    Transaction: { $txHash }

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-payout-rejected-subject = Payout { $payoutId } declined
email-payout-rejected-text =
    Hello { $shop },

    Your payout request { $payoutId } for { $amount } { $currency } was declined: { $reason }.
    The amount is back in your available balance; /balance in the bot shows it.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
## escrow-disputes (workflows/escrow.ts, workflows/clawback.ts, bot/features/disputes.ts, bot/features/escrow-admin.ts)
# The buyer: a dispute from /library, refunds
library-refunded = (refunded: no longer yours)
library-disputed = (⚖️ dispute open)
library-dispute-hint = ⚠️ N: a problem with purchase N? Tell us while its payment is still held, before the sale is final.
dispute-ask-reason = ⚠️ What is wrong with { $title }? Reply with a short description (1–{ $max } characters): an admin reads it and decides. The seller's money stays held meanwhile.
dispute-reason-placeholder = What is wrong
dispute-opened-buyer = ⚖️ Your dispute about { $title } is open (order { $orderId }). The seller's money stays held until an admin decides; you will be told here.
dispute-refused-not-buyer = This purchase is not yours.
dispute-refused-not-paid = This order is not paid: there is nothing to dispute.
dispute-refused-refunded = This purchase was refunded already.
dispute-refused-outside-hold = The sale is final already: its payment has been released to the seller. Contact support if something is wrong.
dispute-refused-already-disputed = A dispute about this purchase is open already (or was decided): one per purchase.
dispute-refused-bad-reason = ⚠️ Describe the problem in 1–{ $max } characters. Nothing was opened yet: send the description again.
dispute-refused-no-escrow = This purchase has no escrow to dispute (it predates it). Contact support.
dispute-released-buyer = ⚖️ Your dispute about { $title } (order { $orderId }) was decided: the sale stands and the payment goes to the seller. The product stays yours.
escrow-refunded-buyer-stars = ↩️ Your purchase of { $title } (order { $orderId }) was refunded: { $refund } are back on your Telegram Stars balance. It is no longer in your /library.
escrow-refunded-buyer-wallet =
    ↩️ Your purchase of { $title } (order { $orderId }) was refunded: { $refund } will be paid back to you in crypto. It is no longer in your /library.
    Press the button below and send the wallet address to pay it to.
escrow-split-buyer-wallet =
    ⚖️ Your dispute about { $title } (order { $orderId }) was decided: { $refund } of the price will be paid back to you in crypto; the product stays yours.
    Press the button below and send the wallet address to pay it to.
escrow-refund-wallet-button = 👛 Give my wallet for the refund
# The seller
dispute-opened-seller =
    ⚖️ The buyer of { $title } (order { $orderId }, { $price }) opened a dispute:
    “{ $reason }”
    The money stays held until an admin decides; you will be told.
dispute-decided-seller = ⚖️ The dispute about { $title } (order { $orderId }) was decided: { $outcome ->
    [refund] the buyer was refunded { $price }; nothing is released to you.
    [release] the sale stands; the money is released to you.
    [split] the buyer gets { $share } back; { $released } is released to you.
   *[other] it is closed.
  }
escrow-refunded-seller = ↩️ The sale of { $title } (order { $orderId }) was refunded to the buyer inside the escrow hold: nothing is released to you.
escrow-clawback-seller = ↩️ The sale of { $title } (order { $orderId }) was refunded after its release: { $amount } was taken back from your available balance (the buyer got { $refund }). If your balance is below zero, later sales cover it first.
email-release-subject = Available: { $title }
email-release-text =
    Hello { $shop },

    The sale of { $title } (order { $orderId }) is final: { $amount } is now available to you (platform fee { $fee }).
    /balance in the bot shows your money.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-dispute-subject = Dispute: { $title }
email-dispute-text =
    Hello { $shop },

    The buyer of { $title } (order { $orderId }, { $price }) opened a dispute:
    “{ $reason }”

    The money stays held until an admin decides; you will be told.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-dispute-decided-subject = Dispute decided: { $title }
email-dispute-decided-text =
    Hello { $shop },

    The dispute about { $title } (order { $orderId }) was decided: { $outcome ->
        [refund] the buyer was refunded { $price }; nothing is released to you.
        [release] the sale stands; the money is released to you.
        [split] the buyer gets { $share } back; { $released } is released to you.
       *[other] it is closed.
    }

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
email-clawback-subject = Refunded after release: { $title }
email-clawback-text =
    Hello { $shop },

    The sale of { $title } (order { $orderId }) was refunded after its release: { $amount } was taken back from your available balance.
    If your balance is below zero, later sales cover it first; /balance in the bot shows it.

    To choose which emails come, send /alerts to the bot; /alerts off stops them all.
# Admins: the dispute alert and its buttons, /escrow, /refund_order, /resolve_dispute
admin-dispute-open =
    ⚖️ Dispute on order { $orderId }: { $title } ({ $price }) from { $shop } (seller { $sellerId }), opened by buyer { $buyerId }:
    “{ $reason }”
    The release is frozen until you decide.
admin-dispute-reminder =
    ⏰ Still waiting for a decision: dispute on order { $orderId }, { $title } ({ $price }), buyer { $buyerId }:
    “{ $reason }”
dispute-refund-button = ↩️ Refund buyer
dispute-release-button = ✅ Release to seller
dispute-split-button = ➗ Split
admin-dispute-decided = ⚖️ Decided by { $by }: { $outcome ->
    [refund] refunded { $price } to the buyer.
    [release] released to the seller.
    [split] { $share } to the buyer, { $released } released to the seller.
   *[other] closed.
  }
admin-dispute-resolved = ✅ Dispute on order { $orderId } decided: { $outcome ->
    [refund] { $price } refunded to the buyer.
    [release] released to the seller.
    [split] { $share } to the buyer, { $released } released to the seller.
   *[other] closed.
  }
admin-dispute-already = ℹ️ The dispute on order { $orderId } was already decided by { $by }: { $outcome ->
    [refund] { $price } refunded to the buyer.
    [release] released to the seller.
    [split] { $share } to the buyer, { $released } released to the seller.
   *[other] closed.
  } Nothing more was done.
admin-dispute-none = ⚠️ Order { $orderId } has no dispute to decide.
admin-dispute-refused = ⚠️ Order { $orderId }: { $reason }. Nothing was done.
admin-dispute-bad-share = ⚠️ “{ $given }” is not a share: give an amount like 7.50 or a percentage like 30%.
admin-dispute-split-stars = ⚠️ Order { $orderId } was paid in Stars, which Telegram refunds only whole: refund or release it.
admin-dispute-split-prompt = ➗ Split of order { $orderId } (price { $price }): how much goes back to the buyer? Press 50/50, or reply to this message with an amount (like 7.50) or a percentage (like 30%). The rest is released to the seller.
admin-dispute-half-button = ➗ 50/50: { $half } to the buyer
admin-usage-refund-order = Usage: /refund_order <order_id>: refunds a marketplace order (Stars on the rail); after its release, a clawback from the seller's balance.
admin-usage-resolve-dispute = Usage: /resolve_dispute <order_id> refund | release | split [share] (an amount like 7.50 or a percentage like 30%; default half).
admin-usage-escrow = Usage: /escrow (no arguments): sales releasing soon and open disputes.
admin-order-unknown = ⚠️ There is no order “{ $orderId }”.
admin-order-refunded = ✅ Order { $orderId } refunded from its escrow hold: { $amount } back to the buyer.
admin-order-already-refunded = ℹ️ Order { $orderId } was already refunded by { $by } ({ $amount }). Nothing more was done.
admin-order-clawed-back = ✅ Order { $orderId } was released already: { $amount } clawed back from the seller's available balance to the buyer.
admin-order-already-clawed-back = ℹ️ Order { $orderId } was already clawed back by { $by } ({ $amount }). Nothing more was done.
admin-order-refund-refused-not-paid = ⚠️ Order { $orderId } is not paid: there is nothing to refund.
admin-order-refund-refused-no-escrow = ⚠️ Order { $orderId } has no escrow to refund from.
admin-order-refund-refused-split = ⚠️ Order { $orderId } had its dispute settled by a split: the buyer's share was refunded already.
admin-order-refund-refused-not-released = ⚠️ Order { $orderId } cannot be clawed back: its escrow did not release the sale whole.
admin-escrow-releasing = 🔒 Releasing soonest ({ $count }):
admin-escrow-none-releasing = Nothing is held.
admin-escrow-sale = { $n }. { $releaseAt } · { $amount } to { $shop } (seller { $sellerId }) · { $title } · order { $orderId }
admin-escrow-overdue = ⚠️ { $count } more held past their release time: is the worker running? (Temporal UI: ProcessStatus = 'held' AND ReleaseAt < now)
admin-escrow-disputed = ⚖️ Open disputes ({ $count }):
admin-escrow-none-disputed = None.
admin-escrow-dispute =
    { $n }. order { $orderId } · { $title } · { $amount } held for { $shop } (seller { $sellerId }) · buyer { $buyerId } · since { $openedAt }
    “{ $reason }”
admin-escrow-refund-button = ↩️ { $n }
admin-escrow-release-button = ✅ { $n }
admin-escrow-split-button = ➗ { $n }
