# Уведомления от процессов
invoice-created = 🧾 Счёт на { $amount } { $currency }. Оплатите криптовалютой до { $expiresAt }.
invoice-created-credit = 🧾 Счёт на { $amount } { $currency }: цена { $price } { $currency } минус { $credit } { $currency } с вашего баланса. Оплатите криптовалютой до { $expiresAt }.
invoice-paid-by-credit = ✅ Счёт на { $amount } { $currency } оплачен с вашего баланса. Спасибо!
invoice-pay-button = 💳 Оплатить
invoice-topup-button = 💳 Доплатить
invoice-partial = ⚠️ Получено { $received } из { $amount } { $currency }. Не хватает { $missing } { $currency }: доплатите до истечения счёта.
invoice-paid = ✅ Оплата { $amount } { $currency } получена. Спасибо!
invoice-overpaid = ✅ Оплата получена: { $received } { $currency } за { $amount } { $currency }. Переплата { $extra } { $currency } учтена, администратор свяжется с вами.
invoice-expired = ⌛ Срок счёта истёк без оплаты. Выберите тариф снова, когда захотите.
invoice-expired-order = ⌛ Срок счёта истёк без оплаты, заказ закрыт. Нажмите «Купить» снова, когда захотите.
invoice-cancelled = ✖️ Счёт отменён.
invoice-needs-review = ⚠️ Срок счёта истёк, оплачено { $received } из { $amount } { $currency } (не хватает { $missing }). Администратор разберётся и свяжется с вами.
invoice-late-paid = ⚠️ Оплата пришла после закрытия счёта. Она учтена, администратор свяжется с вами.
admin-invoice-overpaid = 💰 Счёт { $invoiceId } (пользователь { $userId }) переплачен: { $received } { $currency } за { $amount }; сверх { $extra }.
admin-invoice-needs-review = 🔎 Счёт { $invoiceId } (пользователь { $userId }) истёк с частичной оплатой: { $received } из { $amount } { $currency }.
admin-invoice-late-paid = 🔎 Счёт { $invoiceId } (пользователь { $userId }): получено { $received } { $currency } после закрытия.
admin-gateway-unreachable = ⚠️ Счёт { $invoiceId } (пользователь { $userId }): API статусов { $provider } не отвечает { $minutes } мин; счёт перепроверяется, без подтверждения ничего не зачисляется.
subscription-activated = 🎉 Подписка { $plan } активна до { $expiresAt }. Ваши личные ссылки ниже: отправьте заявку, и она будет одобрена сразу.
subscription-trial-started = 🎁 Пробный период { $plan } активен до { $expiresAt }. Ваши личные ссылки ниже.
subscription-extended = 🔁 Подписка { $plan } продлена до { $expiresAt }.
subscription-reminder = ⏰ Подписка { $plan } заканчивается { $expiresAt }. Продлите, чтобы не потерять доступ.
subscription-grace = ⏳ Подписка { $plan } закончилась. Доступ сохранится до { $accessUntil }: продлите до этого времени.
subscription-ended = 👋 Подписка { $plan } закончилась, доступ закрыт. Оформить снова можно в любой момент.
subscription-refund-shortened = ↩️ Платёж за { $plan } возвращён, оплаченный им период снят: подписка теперь действует до { $expiresAt }.
subscription-refund-ended = ↩️ Платёж за { $plan } возвращён, оплаченный им период снят: подписка закончилась, доступ закрыт. Оформить снова можно в любой момент.
subscription-revoked = 🚫 Подписка { $plan } отменена администратором.
trial-not-offered = У тарифа { $plan } нет пробного периода.
trial-while-active = У вас уже есть доступ к { $plan }.
trial-already-used = Вы уже использовали пробный период.
renew-button = 🔁 Продлить

# Bot replies
start-welcome = 👋 Здравствуйте, { $name }! Этот бот продаёт доступ к закрытым каналам с оплатой в криптовалюте.
start-welcome-back = 👋 С возвращением! Выберите тариф:
terms-text =
    📜 Условия использования
    • Подписка даёт доступ к закрытым каналам тарифа до окончания срока.
    • Оплата производится в криптовалюте через CryptoCloud, мы не можем её отменить.
    • Ссылки-приглашения личные: вступить по ним можете только вы.
    • Доступ закрывается, когда заканчиваются подписка и льготный период.
    Нажмите «Принимаю», чтобы продолжить.
terms-accept-button = ✅ Принимаю
terms-accepted = Условия приняты
terms-accepted-plans = ✅ Спасибо! Выберите тариф:
terms-first = ⚠️ Сначала примите условия использования.
plans-choose = Выберите тариф:
plans-none = Сейчас нет тарифов в продаже. Загляните позже.
plan-unavailable = ⚠️ Этот тариф недоступен. Актуальные тарифы:
plan-unavailable-alert = Этот тариф недоступен.
plan-details =
    { $title }
    Цена: { $price }
    Доступ на: { $duration }
plan-trial-offer = 🎁 Можно попробовать бесплатно: { $duration }.
plan-pay-button = 💳 Оплатить { $price }
plan-trial-button = 🎁 Бесплатно на { $duration }
plans-back-button = ⬅️ Все тарифы
plans-show-button = 📋 Тарифы
invoice-creating = Создаём счёт…
invoice-already-open = У вас уже есть открытый счёт по этому тарифу.
invoice-still-open = 🧾 Ваш счёт на { $amount } открыт до { $expiresAt }.
duration-days = { $count ->
    [one] { $count } день
    [few] { $count } дня
   *[many] { $count } дней
}
duration-hours = { $count ->
    [one] { $count } час
    [few] { $count } часа
   *[many] { $count } часов
}
duration-minutes = { $count ->
    [one] { $count } минуту
    [few] { $count } минуты
   *[many] { $count } минут
}
duration-seconds = { $count ->
    [one] { $count } секунду
    [few] { $count } секунды
   *[many] { $count } секунд
}
trial-starting = Запускаем пробный период…
trial-none = Сейчас ни один тариф не предлагает пробный период.
trial-choose = 🎁 Выберите тариф для бесплатной пробы (один раз):
myplan-title = 📋 Ваши подписки
myplan-none = У вас пока нет подписки.
myplan-trial = { $plan }: 🎁 пробный период до { $expiresAt }
myplan-active = { $plan }: ✅ активна до { $expiresAt }
myplan-grace = { $plan }: ⏳ закончилась { $expiresAt }, доступ сохранится до { $accessUntil }
myplan-expired = { $plan }: ⌛ закончилась { $expiresAt }
myplan-revoked = { $plan }: 🚫 отменена администратором
myplan-credit = 💰 Баланс: { $amount } { $currency }, будет учтён в следующем счёте
myplan-renew-button = 🔁 Продлить { $plan }
join-declined = Чтобы вступить в «{ $channel }», нужна активная подписка. Выберите тариф, и вы получите личную ссылку-приглашение.
language-choose = Выберите язык:
language-unknown = ⚠️ «{ $given }»: такого языка бот не знает. Доступны: { $available }.
language-set = ✅ Язык: { $language }
help =
    Что я умею:
    /plans: тарифы и цены
    /myplan: ваши подписки, срок и продление
    /trial: бесплатный пробный период (один раз)
    /promo КОД: ввести промокод
    /referral: ваша реферальная ссылка и заработок
    /shop: магазин; /search слова: поиск товаров
    /library: всё купленное, чтобы скачать снова
    /sell: открыть магазин; /products: ваши товары; /balance: деньги от продаж; /alerts: уведомления продавца на почту
    /withdraw: выплата денег от продаж · /refund_wallet: куда отправить причитающийся вам возврат
    /language: сменить язык
    /start: начать сначала
    /help: эта справка
unknown-command = Я не знаю команду { $command }.
unknown-text = Я понимаю только команды и кнопки.
unknown-message = С таким сообщением я ничего не могу сделать.
button-stale = Эта кнопка устарела. Отправьте /plans или /myplan, чтобы начать заново.
error-try-again = ⚠️ Что-то пошло не так. Попробуйте ещё раз чуть позже.
command-start = Начать и принять условия
command-plans = Тарифы и цены
command-library = Мои покупки
command-balance = Деньги от продаж
command-myplan = Мои подписки
command-trial = Пробный период
command-language = Сменить язык
command-help = Справка

# Shop: categories, search and the product carousel (bot/features/shop.ts)
command-shop = Магазин
command-search = Поиск товаров: /search слова
shop-menu = 🛍 Магазин: выберите категорию. Сортировка: { $sort }. Цена: { $price }.
shop-all-button = 🗂 Все товары
shop-sort-new = 🆕 Новые
shop-sort-popular = 🔥 Популярные
shop-sort-price = 💲 Цена
shop-sort-relevance = 🎯 Лучшее совпадение
shop-price-any = Любая цена
shop-price-low = ⭐ ≤100
shop-price-mid = ⭐ 101–500
shop-price-high = ⭐ 501+
shop-categories-button = ⬅️ Категории
shop-open-button = 🛍 Открыть магазин
shop-card-price = 💰 { $price }
shop-card-seller = 🏪 { $shop }
shop-card-rating = ★ { $average } (отзывов: { $count })
shop-card-no-reviews = ★ Отзывов пока нет
shop-category-empty = Здесь пока ничего не продаётся. Загляните в другую категорию.
shop-search-usage = Отправьте /search и слова для поиска, например: /search курс photoshop
    Цену в Stars можно ограничить: /search photoshop 100-500 (или 100+).
shop-search-none = По запросу «{ $query }» ничего не найдено. Попробуйте другие слова или загляните в /shop.
shop-stale = Эта кнопка устарела. Отправьте /shop или /search ещё раз.
shop-product-unavailable = ⚠️ Этот товар больше недоступен. Другие товары — в /shop.
shop-unknown = ⚠️ По этой ссылке нет магазина. Другие товары — в /shop.
shop-empty = 🛍 В магазине { $shop } сейчас ничего не продаётся. Другие магазины — в /shop.

# Покупка товара с его карточки (bot/features/buy.ts)
buy-button = 🛒 Купить
buy-back-button = ◀ Назад
buy-owned = Этот товар уже ваш: он в вашей библиотеке ниже.
buy-own-product = Это ваш собственный товар: продавцы не покупают в своём магазине.
buy-unavailable = Этот товар больше не продаётся.
buy-no-rail = Этот товар сейчас нельзя оплатить. Попробуйте позже.
buy-rail-unavailable = Этот способ оплаты сейчас недоступен для этого товара. Выберите другой.
buy-invoice-in-progress = На ваш открытый счёт за этот товар уже поступили деньги. Оплатите его до конца (или дождитесь решения по нему), прежде чем выбирать другой способ оплаты.
buy-invoice-already-open = У вас уже есть открытый счёт за этот товар.
buy-stars-still-open = Ваш счёт в Stars за этот товар выше в чате: нажмите в нём кнопку оплаты.

# Payouts and referrals
referral-commission-held = 💸 Вы заработали { $amount } { $currency } с оплаты приглашённого вами пользователя. Сумма станет доступна { $releaseAt }.
referral-commission-available = ✅ Реферальная комиссия { $amount } { $currency } доступна для вывода.
referral-commission-reversed = ↩️ Оплата приглашённого вами пользователя возвращена, комиссия { $amount } { $currency } списана.
invoice-refunded = ↩️ Ваш платёж { $amount } { $currency } (счёт { $invoiceId }) возвращён.
payout-requested = 🕓 Заявка на вывод { $payoutId } на { $amount } { $currency } на { $wallet } ({ $network }) принята. Администратор её рассмотрит.
payout-approved = 👍 Вывод { $payoutId } на { $amount } { $currency } одобрен и скоро будет отправлен.
payout-paid = ✅ Вывод { $payoutId }: { $amount } { $currency } отправлено на { $wallet } ({ $network }). Транзакция: { $txHash }
payout-rejected = ✖️ Заявка на вывод { $payoutId } на { $amount } { $currency } отклонена: { $reason }. Сумма возвращена на доступный баланс.
admin-channel-unhealthy = 🚨 Бот не может управлять каналом «{ $channel }» ({ $channelId }): { $problem }. Верните ему права администратора «Блокировка пользователей» и «Пригласительные ссылки»: до тех пор истёкшие участники не удаляются, а заявки на вступление ждут; удаления повторяются сами.
admin-channel-restored = ✅ Бот снова может управлять каналом «{ $channel }» ({ $channelId }); отложенные удаления продолжаются.
admin-removal-refused = ⚠️ Пользователя { $userId } не удалось удалить из канала { $channelId }: { $problem }. Удалите его вручную.
admin-payout-requested = 🏦 Заявка на вывод { $payoutId }: { $amount } { $currency } для пользователя { $userId } на { $wallet } ({ $network }).
admin-payout-reminder = ⏰ Заявка на вывод { $payoutId } ({ $amount } { $currency } для пользователя { $userId }) всё ещё ждёт решения.
admin-payout-reminder-unpaid = ⏰ Вывод { $payoutId } ({ $amount } { $currency } на { $wallet }, { $network }) одобрен, но ещё не отмечен как отправленный.
payout-approve-button = ✅ Одобрить
payout-reject-button = ✖️ Отклонить

# Referral program (bot)
referral-link =
    🤝 Ваша реферальная ссылка:
    { $link }
referral-counts = Приглашено: { $referred }. Из них оплатили: { $paid }.
referral-partner = Вы получаете { $percent } % с каждой оплаты приглашённых вами пользователей. Комиссия сначала удерживается (возврат платежа её отменяет), затем становится доступной.
referral-partner-paused = Ваше партнёрство приостановлено (было { $percent } %): новые оплаты комиссию не приносят. Заработанное остаётся вашим.
referral-not-partner = Вы не реферальный партнёр, поэтому приглашённые не приносят комиссию. Напишите администратору, если хотите участвовать в программе.
referral-balance = Комиссия: удерживается { $held } · доступно { $available } · зарезервировано для выплат { $reserved } · выплачено { $paidOut }
referral-payout-hint = Вывести: /payout <сумма> <сеть> <кошелёк> (минимум { $minimum }).
payout-usage =
    Формат: /payout <сумма> <сеть> <кошелёк>
    например /payout 25 TRC20 TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL
    Сети: { $networks }. Минимум: { $minimum }. Доступно: { $available }.
payout-partners-only = Запросить выплату могут только реферальные партнёры. См. /referral.
payout-bad-amount = ⚠️ Это не сумма: напишите, например, 25 или 25.50.
payout-bad-network = ⚠️ Неизвестная сеть. Выберите одну из: { $networks }.
payout-bad-wallet-tron = ⚠️ Это не адрес TRC20 (TRON): он начинается с T и состоит из 34 букв и цифр.
payout-bad-wallet-evm = ⚠️ Это не адрес { $network }: это 0x и 40 шестнадцатеричных цифр.
payout-below-minimum = ⚠️ Минимальная выплата: { $minimum }.
payout-insufficient = ⚠️ Вы запросили { $amount }, но доступно только { $available }.
command-referral = Реферальная ссылка и заработок

# Admin
admin-help =
    🛠 Команды администратора
    /activate <user_id> <дни> [plan_id]: добавить дни к подписке
    /edit <user_id> remove: завершить все действующие подписки пользователя
    /edit <user_id> setdays <дни> [plan_id]: подписка закончится через <дни> дней (0 завершает её сейчас)
    /edit <user_id> marktrial | resettrial: отметить пробный период использованным или вернуть его
    /export: пользователи в CSV · /export_refree: реферальные партнёры в CSV
    /refree_add <user_id> <процент> · /refree_remove <user_id>
    /approve <payout_id> · /reject <payout_id> [причина] · /paid <payout_id> <tx_hash>
    /payouts: ждущие заявки на выплату (рефереры, продавцы, возвраты), с кнопками Одобрить / Отклонить
    /resolve <invoice_id> accept | credit <дни> | balance | refund | writeoff <причина> · /refundpaid <invoice_id> <tx_hash> · /unresolved
    /review: товары на проверке, с кнопками Одобрить / Отклонить
    Без plan_id используется первый тариф из /plans.
    /newplan: создать тариф по шагам · /catalog: изменить тариф, цену, снять с продажи, подключить каналы · /cancel
    /promo_new <КОД> percent <N> | fixed <сумма> <валюта> [max= per_user= from= until= plans=] · /promos · /promo_disable <КОД>
    /escrow: ближайшие переводы продавцам, открытые споры · /refund_order <order_id> · /resolve_dispute <order_id> refund | release | split [доля]
admin-usage-activate = Формат: /activate <user_id> <дни> [plan_id]: добавляет от 1 до 3650 дней (по умолчанию первый тариф из /plans).
admin-usage-edit = Формат: /edit <user_id> remove | setdays <дни> [plan_id] | marktrial | resettrial (дни от 0 до 3650; 0 завершает подписку).
admin-usage-export = Формат: /export (без аргументов): все пользователи в CSV.
admin-usage-export-refree = Формат: /export_refree (без аргументов): реферальные партнёры со статистикой в CSV.
admin-usage-refree-add = Формат: /refree_add <user_id> <процент>: комиссия с каждой оплаты приглашённых, больше 0 и не больше 100 (например, 10 или 12.5).
admin-usage-refree-remove = Формат: /refree_remove <user_id>
admin-usage-approve = Формат: /approve <payout_id>
admin-usage-reject = Формат: /reject <payout_id> [причина]
admin-usage-paid = Формат: /paid <payout_id> <хеш_транзакции>
admin-bad-user-id = ⚠️ «{ $given }» не является id пользователя Telegram (целое положительное число).
admin-bad-days = ⚠️ «{ $given }» не число дней: укажите целое число от { $min } до { $max }.
admin-bad-percent = ⚠️ «{ $given }» не комиссия: укажите процент больше 0 и не больше 100, например 10 или 12.5.
admin-unknown-user = ⚠️ Пользователь { $userId } боту неизвестен: сначала он должен запустить бота.
admin-unknown-plan = ⚠️ Тарифа «{ $planId }» нет. Действующие тарифы: { $plans }.
admin-no-plan = ⚠️ Нет действующего тарифа по умолчанию: укажите plan_id.
admin-granted = ✅ Пользователю { $userId } добавлено { $days } дн. тарифа { $plan }.
admin-days-set = ✅ Подписка { $plan } пользователя { $userId } теперь закончится через { $days } дн.
admin-removed = ✅ Подписки пользователя { $userId } ({ $plans }) завершаются, он удаляется из каналов.
admin-nothing-to-remove = ℹ️ У пользователя { $userId } нет действующей подписки: удалять нечего.
admin-trial-marked = ✅ Пробный период пользователя { $userId } отмечен как использованный.
admin-trial-reset = ✅ Пробный период пользователя { $userId } сброшен: он может начать его снова.
admin-export-users = 📄 Пользователи (строк: { $rows })
admin-export-referrers = 📄 Реферальные партнёры (строк: { $rows })
admin-export-done = ✅ Выгрузка отправлена, строк: { $rows }.
admin-referrer-added = ✅ Пользователь { $userId } теперь реферальный партнёр с комиссией { $percent } %. Его ссылка: { $link }
admin-referrer-removed = ✅ Пользователь { $userId } больше не реферальный партнёр: новые оплаты приглашённых не приносят комиссию. Его баланс остаётся за ним.
admin-not-a-referrer = ⚠️ Пользователь { $userId } не реферальный партнёр.
admin-payout-approved = ✅ Выплата { $payoutId } одобрена. После отправки отметьте её: /paid { $payoutId } <хеш_транзакции>.
admin-payout-rejected = ✖️ Выплата { $payoutId } отклонена ({ $reason }). Сумма возвращена на доступный баланс партнёра.
admin-payout-paid = ✅ Выплата { $payoutId } отмечена как отправленная ({ $txHash }).
admin-payout-default-reason = отклонено администратором
admin-payout-unknown = ⚠️ Выплаты «{ $payoutId }» нет.
admin-payout-cannot-approve = ⚠️ Выплата { $payoutId } в состоянии { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""}, решение принял { $decidedBy }
  }: одобрить её нельзя.
admin-payout-cannot-reject = ⚠️ Выплата { $payoutId } в состоянии { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""}, решение принял { $decidedBy }
  }: отклонить её нельзя.
admin-payout-cannot-markPaid = ⚠️ Выплата { $payoutId } в состоянии { $status }{ $decidedBy ->
    [none] {""}
   *[other] {""}, решение принял { $decidedBy }
  }: отметить её отправленной нельзя.
admin-payout-bad-hash = ⚠️ Это не хеш транзакции в сети выплаты { $payoutId } (TRC20: 64 шестнадцатеричные цифры; BEP20 и ERC20: 0x и 64 шестнадцатеричные цифры).

# Admin: the catalog (/newplan, /catalog)
plan-bad-id = ⚠️ «{ $given }» не подходит как id тарифа: 1–32 строчные латинские буквы, цифры или _, в начале буква (например monthly или vip_30).
plan-bad-title = ⚠️ Название тарифа: от 1 до { $max } символов.
plan-bad-duration = ⚠️ «{ $given }» не подходит как срок: целое число больше 0 дней (30 или 30d), часов (12h), минут (90m) или секунд (45s), не больше 3650 дней.
plan-bad-trial = ⚠️ «{ $given }» не подходит как пробный период: 0 без пробного периода или срок вроде 3d, 12h, 30m (не больше 3650 дней).
plan-bad-currency = ⚠️ Неизвестная валюта «{ $given }»: используйте одну из { $currencies }.
plan-bad-price = ⚠️ «{ $given }» не подходит как цена: положительная сумма не больше чем с 2 знаками после точки и валюта, например 9.99 USD.
plan-bad-stars = ⚠️ «{ $given }» не подходит как цена в Stars: пришлите целое число Stars от { $min } до { $max } или -, чтобы не продавать тариф за Stars.
plan-stars-out-of-range = ⚠️ { $given } Stars — вне допустимого диапазона: цена в Stars от { $min } до { $max } (ограничение Telegram), или -, чтобы не продавать тариф за Stars.
plan-unknown = ⚠️ Тарифа «{ $planId }» нет.
plan-exists = ⚠️ Тариф с id «{ $planId }» уже есть: выберите другой id.
plan-no-channels = ⚠️ У тарифа должен быть хотя бы один канал.
plan-nothing-to-edit = ⚠️ Нечего менять.
plan-last-channel = ⚠️ Это единственный канал тарифа { $planId }: сначала подключите другой.
channel-not-found = ⚠️ Telegram не знает канал { $channel } или бота в нём нет. Сначала добавьте бота в канал администратором.
channel-not-a-channel = ⚠️ { $channel } — не канал и не супергруппа.
channel-bot-not-admin = ⚠️ Бот не администратор в «{ $channel }» (его статус там: { $status }). Сделайте его администратором с правами: { $rights }.
channel-missing-rights = ⚠️ Бот — администратор в «{ $channel }», но у него нет прав: { $rights }. Выдайте их в настройках администраторов канала.
plan-admin-ask-id = 🆕 Новый тариф. Пришлите его id: 1–32 строчные латинские буквы, цифры или _ (например monthly). /cancel — отмена.
plan-admin-ask-title = Пришлите название тарифа, как его увидят подписчики.
plan-admin-ask-duration = Пришлите срок одного оплаченного периода: 30 (дней), 30d, 12h, 90m или 45s.
plan-admin-ask-price = Пришлите цену с валютой, например 9.99 USD (подходят и EUR, RUB).
plan-admin-ask-trial = Пришлите длину пробного периода (например 3d) или 0 без пробного периода.
plan-admin-ask-stars = Пришлите цену в Telegram Stars — целое число от 1 до 10000 (например 500) — или - (или «нет»), чтобы не продавать тариф за Stars. Telegram требует, чтобы цифровые товары в ботах можно было оплатить в Stars.
plan-admin-ask-stars-edit = Пришлите новую цену в Telegram Stars — целое число от 1 до 10000 (например 500) — или - (или 0), чтобы больше не продавать тариф за Stars.
plan-admin-stars-no-words = нет,пропустить
plan-admin-stars = ⭐ { $stars } Stars
plan-admin-no-stars = не продаётся за Stars
plan-admin-ask-channels =
    Выберите каналы, которые открывает тариф, или добавьте канал: перешлите из него пост или пришлите его @username или id (-100…). Бот должен быть там администратором с правами приглашать пользователей и блокировать участников.
    Выбрано: { $picked }
plan-admin-ask-attach = Перешлите пост из канала, который нужно подключить, или пришлите его @username или id (-100…).
plan-admin-bad-channel-ref = ⚠️ Это не канал: перешлите из него пост или пришлите его @username или id (-100…).
plan-admin-no-trial = без пробного периода
plan-admin-confirm =
    Создать этот тариф?
    Id: { $id }
    Название: { $title }
    Срок: { $duration }
    Цена: { $price }
    Цена в Stars: { $stars }
    Пробный период: { $trial }
    Каналы: { $channels }
plan-admin-press-create = Нажмите «Создать» или «Отмена» под сводкой.
plan-admin-created = ✅ Тариф { $title } ({ $id }) создан и продаётся.
plan-admin-cancelled = Отменено. Ничего не изменено.
plan-admin-no-flow = Отменять нечего.
plan-admin-stale = Эта кнопка от завершённого диалога: начните заново с /newplan или /catalog.
plan-admin-checking = Проверяю права бота…
plan-admin-send-text = Пришлите это текстовым сообщением.
plan-admin-catalog = 🗂 Тарифы (⏸ — не продаётся). Выберите, что изменить:
plan-admin-catalog-empty = Тарифов пока нет: создайте тариф командой /newplan.
plan-admin-card =
    { $title } ({ $id }): { $state }
    Срок: { $duration }
    Цена: { $price } (изменение действует только для новых счетов)
    Цена в Stars: { $stars }
    Пробный период: { $trial }
    Каналы: { $channels }
plan-admin-state-active = продаётся
plan-admin-state-inactive = не продаётся (действующие подписки продолжаются)
plan-admin-saved = ✅ Сохранено.
plan-admin-price-saved = ✅ Цена сохранена: её получат новые счета; открытые счета и действующие подписки остаются прежними.
plan-admin-stars-saved = ✅ Цена в Stars сохранена: её получат новые счета в Stars; открытые счета и действующие подписки остаются прежними.
plan-admin-stars-removed = ✅ Тариф больше не продаётся за Stars. Открытые счета в Stars и действующие подписки это не затрагивает.
plan-admin-attached = ✅ { $channel } подключён: новые подписчики получат в него приглашение.
plan-admin-already-attached = ℹ️ { $channel } уже подключён к этому тарифу.
plan-admin-detached = Канал отключён.
plan-admin-activated = ✅ { $title } снова продаётся.
plan-admin-deactivated = ⏸ { $title } больше не продаётся. Действующие подписки продолжаются до конца срока.
plan-admin-done-button = ✔️ Готово
plan-admin-cancel-button = ✖️ Отмена
plan-admin-create-button = ✅ Создать
plan-admin-edit-title-button = ✏️ Название
plan-admin-edit-duration-button = ⏱ Срок
plan-admin-edit-trial-button = 🎁 Пробный период
plan-admin-edit-price-button = 💲 Цена
plan-admin-edit-stars-button = ⭐ Цена в Stars
plan-admin-attach-button = ➕ Подключить канал
plan-admin-detach-button = ➖ Отключить { $channel }
plan-admin-deactivate-button = ⏸ Снять с продажи
plan-admin-activate-button = ▶️ Вернуть в продажу

# Продажи (bot/features/sell.ts)
command-sell = Открыть магазин и продавать
sell-terms = 🏪 Откройте магазин и продавайте цифровые товары.

    Принимая условия, вы соглашаетесь, что:
    • продаёте только цифровые товары (файлы, курсы, электронные книги, шаблоны…), на продажу которых у вас есть право;
    • не загружаете исполняемые программы (.exe, .apk, скрипты и т. п.): такие файлы отклоняются;
    • деньги за каждую продажу 24 часа удерживаются (эскроу), прежде чем станут доступны к выплате, чтобы покупатель мог сообщить о проблеме;
    • платформа удерживает комиссию с каждой продажи.
sell-accept-button = ✅ Принимаю
sell-ask-name = Как называется ваш магазин? Пришлите название (1–64 символа).
sell-name-placeholder = Мой магазин
sell-bad-name = ⚠️ В названии магазина 1–{ $max } символов (в этом { $given }). Ничего не сохранено.
sell-shop-created = 🎉 Ваш магазин «{ $name }» открыт.
    Ссылка на него: { $link }
    Загрузите первый товар кнопкой ниже.
sell-shop = 🏪 Ваш магазин «{ $name }»: { $link }
sell-upload-button = 📤 Загрузить товар
sell-products-not-seller = У вас ещё нет магазина. Отправьте /sell, чтобы открыть его.
sell-products-none = В вашем магазине пока нет товаров. Загрузите первый кнопкой ниже.
sell-hide-button = 🙈 Скрыть «{ $title }»
sell-show-button = 👁 Показать «{ $title }»
sell-delete-button = 🗑 Удалить
sell-delete-confirm = Удалить «{ $title }»? Товар навсегда уйдёт из каталога; у покупателей он останется в библиотеке.
sell-delete-confirm-button = 🗑 Да, удалить
sell-delete-keep-button = Оставить
sell-delete-done = Готово: «{ $title }». Список — /products.
sell-deleted = Удалено.
sell-kept = Оставлено.
sell-updated = Сохранено.
sell-product-gone = Этого товара (больше) нет в вашем магазине.
sell-products = 📦 Ваши товары (сначала новые, показано { $shown }):
sell-product-line = { $title }
    { $status } · { $price }
sell-price-stars = { $stars } ⭐️
sell-status-draft = 📝 черновик
sell-status-pending_review = ⏳ на проверке
sell-status-active = ✅ в продаже
sell-status-hidden = 🙈 скрыт
sell-status-rejected = ⛔️ отклонён
sell-edit-button = ✏️ Изменить
product-edit-card =
    ✏️ { $title }
    { $status } · { $price }
    🗂 { $category }

    { $description }
product-edit-no-description = (без описания)
product-edit-review-note = ⏳ Товары проходят проверку: после изменения этот товар снова уйдёт на проверку, прежде чем его увидят покупатели.
product-edit-title-button = ✏️ Название
product-edit-description-button = 📝 Описание
product-edit-price-button = 💲 Цена в { $currency }
product-edit-stars-button = ⭐ Цена в Stars
product-edit-category-button = 🗂 Категория
product-edit-cover-button = 🖼 Обложка
product-edit-file-button = 📦 Заменить файл
product-edit-back-button = ⬅️ Мои товары
product-edit-card-button = ⬅️ Назад
product-edit-ask-title = Пришлите новое название товара «{ $title }» (1–{ $max } символов) или /products, чтобы оставить как есть.
product-edit-ask-description = Пришлите новое описание товара «{ $title }» (до { $max } символов) или /products, чтобы оставить как есть.
product-edit-ask-price = Пришлите новую цену товара «{ $title }» в { $currency }, например 9.99, или /products, чтобы оставить как есть.
product-edit-ask-stars = Пришлите новую цену товара «{ $title }» в Stars: целое число от { $min } до { $max }, или /products, чтобы оставить как есть.
product-edit-ask-category = Выберите категорию товара «{ $title }»:
product-edit-not-saved = Ничего не сохранено. Пришлите ещё раз или /products, чтобы оставить как есть.
product-edit-saved = ✅ Сохранено.
product-edit-saved-review = ✅ Сохранено. Покупатели снова увидят товар после проверки администратором.
# Отказы правил товаров (domain/product.ts, infrastructure/catalog/products.ts)
product-bad-title = ⚠️ В названии товара 1–{ $max } символов.
product-bad-description = ⚠️ В описании не больше { $max } символов (в этом { $given }).
product-no-price = ⚠️ Товару нужна цена: в валюте, в Stars или обе.
product-bad-currency = ⚠️ «{ $given }» — не валюта для цен: используйте одну из { $currencies }.
product-bad-price = ⚠️ «{ $given }» — не цена в { $currency }: пришлите положительную сумму, например 9.99, не больше { $max }.
product-bad-stars = ⚠️ «{ $given }» — не цена в Stars: пришлите целое число от { $min } до { $max }.
product-stars-out-of-range = ⚠️ { $given } Stars — вне допустимого: цена в Stars от { $min } до { $max }.
product-bad-category = ⚠️ Категории «{ $given }» нет.
product-currency-needs-price = ⚠️ Для новой валюты нужна цена.
shop-bad-slug = ⚠️ «{ $given }» не годится для ссылки на магазин: 3–32 символа из a–z, 0–9 и -, не в начале и не в конце -.

# Админ: очередь проверки (bot/features/review.ts)
review-queue-empty = { $review ->
    [on] ✅ Очередь проверки пуста.
   *[off] ✅ Очередь проверки пуста. Проверка выключена (PRODUCT_REVIEW), поэтому опубликованные товары сразу поступают в продажу.
  }
review-card-head = 🔎 Проверка { $position } / { $total } (сначала старые)
review-card-shop = 🏪 { $shop } (продавец { $sellerId })
review-card-category = 🗂 { $category }
review-card-file = 📄 { $name } · { $size }
review-card-no-file = 📄 файл не загружен
review-card-sent = 🕓 отправлен { $at }
review-approve-button = ✅ Одобрить
review-reject-button = ⛔️ Отклонить
review-approved-short = Одобрено.
review-approved = ✅ «{ $title }» теперь в продаже.{ $told ->
    [yes] {""} Продавец уведомлён.
   *[no] {""} ⚠️ Продавца не удалось уведомить (возможно, он заблокировал бота).
  }
review-rejected = ⛔️ «{ $title }» отклонён: { $reason }{ $told ->
    [yes] {""} Продавец уведомлён.
   *[no] {""} ⚠️ Продавца не удалось уведомить (возможно, он заблокировал бота).
  }
review-reason-prompt = ✍️ Почему «{ $title }» отклонён? Ответьте на это сообщение причиной (1–{ $max } символов): её прочитает продавец.
review-reason-placeholder = Причина для продавца
review-bad-reason = ⚠️ Причина: от 1 до { $max } символов (в этой { $given }). Ничего не изменено.
review-gone = ⚠️ Продавец удалил этот товар: решать нечего.
review-already = ⚠️ По «{ $title }» уже принято решение ({ $status }): ничего не изменено.
review-changed = ⚠️ «{ $title }» изменился после показа этой карточки: ничего не изменено. Посмотрите его в очереди ещё раз.
review-approved-seller = ✅ Ваш товар «{ $title }» прошёл проверку и поступил в продажу: { $link }
review-rejected-seller = ⛔️ Ваш товар «{ $title }» не прошёл проверку.
    Причина: { $reason }
    Исправьте его на странице загрузки и опубликуйте снова: он вернётся в очередь проверки.

# Библиотека покупателя (bot/features/library.ts)

# Заказы: сообщение с покупкой, напоминание и уведомление продавцу
order-delivered =
    📦 { $title } — ваш!
    Файл: { $fileName } ({ $size }). Скачайте его кнопками ниже, сейчас или позже из /library.
order-delivered-document =
    📦 { $title } — ваш! Файл приложен: { $fileName } ({ $size }).
    Скачать его снова можно в любое время из /library.
order-download-page-button = ⬇️ Скачать
order-download-link-button = 🔗 Ссылка для скачивания
order-download-reminder = 📦 Вы ещё не скачали { $title }. Он ждёт вас:
order-sold-seller = 💰 Продано: { $title } за { $price } (заказ { $orderId }). Деньги удерживаются до завершения сделки.
alerts-not-seller = Уведомления по почте — для продавцов: сначала откройте магазин через /sell.
alerts-on = 📧 Уведомления продавца приходят на { $email }. Нажмите на вид ниже, чтобы выключить или включить его; /alerts off отключит все письма.
alerts-off = 📧 Уведомления продавца приходят только сюда, в Telegram. Отправьте /alerts you@example.com, чтобы получать их и по почте.
alerts-turned-on = ✅ Уведомления продавца будут приходить на { $email }. Отправьте /alerts, чтобы выбрать какие.
alerts-kind-on = ✅ { $kind }: по почте
alerts-kind-off = 🚫 { $kind }: не по почте
alerts-kind-turned-on = { $kind } снова будут приходить по почте
alerts-kind-turned-off = { $kind } больше не будут приходить по почте
alerts-kind-sale = Продажи
alerts-kind-release = Выплаты из эскроу
alerts-kind-dispute = Споры
alerts-kind-payout = Выводы средств
alerts-turned-off = ✅ Письма отключены; уведомления по-прежнему приходят сюда.
alerts-bad-email = Это не адрес почты. Отправьте /alerts you@example.com или /alerts off.
email-sale-subject = Продано: { $title }
email-sale-text =
    Здравствуйте, { $shop }!

    Вы продали { $title } за { $price } (заказ { $orderId }).
    Деньги удерживаются до завершения сделки; /balance в боте показывает их.

    Чтобы выбрать, какие письма приходят, отправьте боту /alerts; /alerts off отключит все.
escrow-released-seller = ✅ Продажа { $title } (заказ { $orderId }) завершена: { $amount } теперь доступны вам (комиссия платформы { $fee }).
balance-not-seller = У вас нет магазина, поэтому баланса продаж нет. Откройте его командой /sell; реферальный доход — в /referral.
balance-seller-empty = 💼 Продаж пока нет: баланс пуст.
balance-seller-header = 💼 Баланс ваших продаж
balance-seller-money = На удержании { $held } · доступно { $available } · удержано комиссии платформы { $fees }
balance-seller-hold = ⏳ { $title }: { $amount }, станет доступно { $releaseAt }

library-empty = Ваша библиотека пуста. Купленные товары остаются здесь навсегда: загляните в /shop.
library-header = 📚 Ваша библиотека ({ $total }), сначала новые покупки:
library-item = { $n }. { $title } · 🏪 { $shop } · куплено { $date }
library-removed = (больше нет в каталоге; остаётся вашим)
library-previous-button = ◀ Новее
library-next-button = Старше ▶
library-download = ⬇️ Ссылка для скачивания работает один раз, { $minutes } мин. Новую даст ⬇️ в /library.
library-download-button = ⬇️ Скачать
library-download-page-button = 📱 Страница загрузки
library-download-refused = Эту покупку скачать нельзя (больше нельзя).
library-download-busy = Слишком много скачиваний: не больше { $perHour } в час. Попробуйте через { $minutes } мин.

# Страница загрузки (api/miniapp/pages/upload.ts; тексты отдаёт GET /miniapp/api/session)

upload-page-new = Новый товар
upload-page-title = Название
upload-page-description = Описание
upload-page-category = Категория
upload-page-price = Цена
upload-page-currency = Валюта
upload-page-stars = Цена в Telegram Stars
upload-page-file = Файл
upload-page-cover = Обложка
upload-page-submit = Загрузить и опубликовать
upload-page-pause = Пауза
upload-page-resume = Продолжить
upload-page-retry = Повторить
upload-page-file-limit = До { $size }.
upload-page-choose-file = Выберите файл для продажи.
upload-page-too-big = { $name }: { $size }, а можно не больше { $limit }.
upload-page-resuming = Продолжаем { $name }: уже сохранённые части не отправляются заново.
upload-page-progress = { $percent }% · { $sent } из { $total }
upload-page-done-live = Загружено. Товар уже в каталоге.
upload-page-done-review = Загружено. Товар ждёт модератора; бот сообщит, когда он появится в каталоге.

# Решения администратора (процесс resolution:<invoiceId>)
admin-resolution-open =
    🧾 Счёт { $invoiceId } (пользователь { $userId }) требует решения: { $amount } { $currency } { $kind ->
        [partial] получено меньше цены до истечения счёта.
        [late] получено после закрытия неоплаченного счёта.
        [overpaid] получено сверх цены.
       *[other] получено, но счёт не смог это учесть ({ $kind }).
    }
    Принять как оплату (только частичную), зачислить пользователю (дни тарифа, по цене тарифа около { $days }, или баланс на следующий счёт), вернуть или списать.
    Команды: /resolve { $invoiceId } accept | credit <дни> | balance | refund | writeoff <причина>
admin-resolution-reminder = ⏰ Счёт { $invoiceId } (пользователь { $userId }): { $amount } { $currency } всё ещё ждёт решения.
admin-resolution-refund-reminder = ⏰ Возврат { $amount } { $currency } по счёту { $invoiceId } (пользователь { $userId }) ещё не выплачен. После отправки: /refundpaid { $invoiceId } <хэш_транзакции>
admin-resolution-decided =
    ✅ Счёт { $invoiceId } (пользователь { $userId }): { $amount } { $currency } { $action ->
        [accept] приняты как оплата; подписка активируется.
        [credit-extend] зачислены как { $days } дн. тарифа.
        [credit-balance] сохранены на балансе пользователя для следующего счёта.
        [refund] будут возвращены. После отправки: /refundpaid { $invoiceId } <хэш_транзакции>
        [writeoff] списаны: { $reason }
       *[other] учтены.
    } ({ $by })
admin-resolution-refund-paid = ✅ Возврат { $amount } { $currency } по счёту { $invoiceId } (пользователь { $userId }) выплачен в { $txHash } ({ $by }).
resolution-accept-button = ✅ Принять как оплату
resolution-credit-button = 🎁 Зачислить
resolution-refund-button = ↩️ Вернуть
resolution-writeoff-button = 🗑 Списать
resolution-refundPaid-button = 💸 Возврат выплачен
resolution-extend-button = ➕ Продлить на { $days } дн.
resolution-balance-button = 💰 Оставить на балансе
resolution-back-button = ← Назад
resolution-user-accepted = ✅ Ваша оплата { $amount } { $currency } по счёту { $invoiceId } принята как полная. Подписка активируется.
resolution-user-extended = 🎁 Ваша оплата { $amount } { $currency } по счёту { $invoiceId } зачтена: к подписке добавлено { $days } дн.
resolution-user-balance = 💰 Ваша оплата { $amount } { $currency } по счёту { $invoiceId } сохранена на балансе для следующего счёта.
resolution-user-refund = ↩️ Ваша оплата { $amount } { $currency } по счёту { $invoiceId } будет возвращена. Мы сообщим, когда она будет отправлена.
resolution-user-refund-paid = ✅ Возврат { $amount } { $currency } по счёту { $invoiceId } отправлен. Транзакция: { $txHash }
resolution-user-closed = ℹ️ Администратор закрыл вопрос по оплате счёта { $invoiceId }. Если есть вопросы, напишите в поддержку.
admin-usage-resolve = Формат: /resolve <invoice_id> accept | credit <дни> | balance | refund | writeoff <причина>
admin-usage-refundpaid = Формат: /refundpaid <invoice_id> <хэш_транзакции>
admin-usage-unresolved = Формат: /unresolved (без аргументов): случаи, ждущие решения или выплаты возврата.
admin-resolution-unknown = ⚠️ По счёту «{ $invoiceId }» нет открытого случая.
admin-resolution-refused = ⚠️ Счёт { $invoiceId }: { $reason }.
admin-resolution-done =
    ✅ Счёт { $invoiceId }: { $amount } { $currency } { $action ->
        [accept] приняты как оплата; подписка активируется.
        [credit-extend] зачислены как { $days } дн. тарифа.
        [credit-balance] сохранены на балансе пользователя.
        [refund] будут возвращены (к выплате). После отправки: /refundpaid { $invoiceId } <хэш_транзакции>
        [writeoff] списаны: { $reason }
        [refund-paid] возвращены в { $txHash }.
       *[other] учтены.
    }
admin-resolution-already =
    ℹ️ По счёту { $invoiceId } уже решил { $by }: { $amount } { $currency } { $action ->
        [accept] приняты как оплата.
        [credit-extend] зачислены как { $days } дн.
        [credit-balance] сохранены на балансе пользователя.
        [refund] к возврату{ $txHash ->
            [none] , ещё не выплачены.
           *[other] , выплачены в { $txHash }.
        }
        [writeoff] списаны: { $reason }
       *[other] учтены.
    }
admin-resolution-nothing = ℹ️ Счёт { $invoiceId }: по нему больше ничего не удерживается, решать нечего.
admin-resolution-writeoff-prompt = Ответьте причиной списания по счёту { $invoiceId }. [writeoff:{ $invoiceId }]
admin-resolution-txhash-prompt = Ответьте хэшем транзакции возврата по счёту { $invoiceId }. [refundpaid:{ $invoiceId }]
admin-resolution-list-empty = ✅ Ни один случай не ждёт решения.
admin-resolution-list =
    🧾 Ждут: { $count }
    { $lines }

# Payment rails: NOWPayments addresses, Telegram Stars
charge-description = Доступ к { $title } на { $days } дн.
charge-description-order = { $title }: цифровой товар, придёт в этот чат после оплаты.
invoice-address =
    🧾 Счёт на { $amount } { $currency }.
    Отправьте ровно { $coinAmount } { $coin } на этот адрес:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / тег (обязательно): { $memo }
       *[no] {""}
    }
    Оплатите до { $expiresAt }. QR-код содержит адрес. Статус: ⏳ ждём оплату.
invoice-address-credit =
    🧾 Счёт на { $amount } { $currency }: цена { $price } { $currency } минус { $credit } { $currency } с вашего баланса.
    Отправьте ровно { $coinAmount } { $coin } на этот адрес:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / тег (обязательно): { $memo }
       *[no] {""}
    }
    Оплатите до { $expiresAt }. QR-код содержит адрес. Статус: ⏳ ждём оплату.
invoice-address-confirming =
    🧾 Счёт на { $amount } { $currency }: { $coinAmount } { $coin } на
    { $address }
    Статус: 🔄 монеты получены, сеть подтверждает перевод.
invoice-address-paid =
    🧾 Счёт на { $amount } { $currency }: { $coinAmount } { $coin } на
    { $address }
    Статус: ✅ оплачено. Спасибо!
invoice-address-topup =
    ⚠️ Получено { $received } из { $amount } { $currency }; не хватает { $missing } { $currency }.
    Отправьте { $coinAmount } { $coin } на этот адрес, чтобы завершить оплату:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / тег (обязательно): { $memo }
       *[no] {""}
    }
    Оплатите до { $expiresAt }. Статус: ⏳ ждём остаток.
invoice-address-still-open =
    🧾 Ваш счёт открыт до { $expiresAt }. Отправьте { $coinAmount } { $coin } на:
    { $address }{ $hasMemo ->
        [yes] {"\u000A"}Memo / тег (обязательно): { $memo }
       *[no] {""}
    }
invoice-check-button = 🔄 Проверить статус
invoice-check-unknown = Этот счёт не ваш или не существует.
invoice-check-status = Статус счёта: { $status }. Мы ещё раз спросили платёжную систему; сообщение обновится, как только статус изменится.
invoice-in-progress = На открытый счёт по этому тарифу уже поступили деньги. Завершите его оплату (или дождитесь решения) прежде чем выбрать другой способ.
invoice-stars-still-open = Ваш счёт в Stars для этого тарифа выше в чате: нажмите на нём «Оплатить».
plan-pay-address-button = 🪙 Оплатить { $price } криптой (адрес и QR)
plan-pay-stars-button = ⭐ Оплатить { $stars } Stars
plan-price-stars = Или { $stars } ⭐ Telegram Stars.
plan-no-rail = ⚠️ Этот тариф сейчас нельзя оплатить. Загляните позже.
plan-choose-coin = { $title } · { $price }. Выберите монету для оплаты:
rail-unavailable = Этот способ оплаты сейчас недоступен для тарифа.
stars-refused-unknown = Этот счёт неизвестен. Откройте тариф заново.
stars-refused-closed = Этот счёт уже закрыт. Откройте тариф заново, чтобы получить новый.
stars-refused-amount = Сумма этого счёта изменилась. Откройте тариф заново.
stars-paid-closed = ⚠️ Ваш платёж пришёл после закрытия счёта { $invoiceId }. Он записан; напишите /paysupport, и мы вернём или зачтём его.
paysupport =
    💬 Поддержка по платежам
    По любому вопросу об оплате, возврате или неактивированной подписке напишите администраторам бота и укажите номер счёта (последний: { $invoiceId }). Платежи в Telegram Stars возвращаются на ваш баланс Stars; крипто-возвраты — на указанный вами кошелёк.
    Поддержка Telegram не может помочь с покупками в этом боте.
command-paysupport = Поддержка по платежам

# Промокоды (bot/features/promos.ts)
command-promo = Ввести промокод
promo-percent = { $percent } %
promo-scope-all = любой тариф
promo-scope-plans = тарифы { $ids }
promo-scope-products = товары { $ids }
promo-scope-sellers = продавцы { $ids }
promo-window-always = без сроков
promo-window-from = с { $from }
promo-window-until = до { $until }
promo-window-between = { $from } → { $until }
promo-saved = ✅ Промокод { $code } сохранён: скидка { $discount } ({ $scope }). Он будет применён к вашему следующему счёту.
promo-current = 🎟 Ваш промокод { $code }: скидка { $discount } ({ $scope }). Он будет применён к вашему следующему счёту.
promo-ends = Действует до { $until }.
promo-prices = С ним вы платите:
promo-plan-price = { $plan }: { $price } → { $charged }
promo-no-plan-applies = Сейчас он не подходит ни к одному тарифу в продаже.
promo-current-unusable = 🎟 Сохранённый промокод { $code } больше нельзя использовать:
promo-none = 🎟 У вас нет промокода. Отправьте /promo КОД или нажмите кнопку и введите его.
promo-ask = 🎟 Отправьте мне ваш промокод.
promo-enter-button = 🎟 Промокод
promo-change-button = 🎟 Другой код
promo-clear-button = ✖️ Убрать код
promo-cleared = Промокод убран: следующий счёт будет по полной цене.
promo-nothing-to-clear = У вас нет сохранённого промокода.
promo-refused-unknown = ⚠️ Промокода «{ $code }» нет. Проверьте написание и попробуйте ещё раз.
promo-refused-disabled = ⚠️ Промокод { $code } отозван.
promo-refused-not-started = ⚠️ Промокод { $code } действует с { $from }.
promo-refused-ended = ⚠️ Срок промокода { $code } истёк.
promo-refused-exhausted = ⚠️ Промокод { $code } закончился.
promo-refused-user-limit = ⚠️ Вы уже использовали промокод { $code }.
promo-refused-out-of-scope = ⚠️ Промокод { $code } не подходит к этой покупке.
promo-refused-currency = ⚠️ Промокод { $code } действует только для цен в { $currency }.
promo-refused-no-discount = ⚠️ Промокод { $code } ничего не снимает с этой цены.
admin-usage-promo-new =
    Формат: /promo_new <КОД> percent <1–100> [параметры]
    или: /promo_new <КОД> fixed <сумма> <USD|EUR|RUB|XTR> [параметры]
    Параметры: max=<N> (на всех вместе; по умолчанию без ограничения) · per_user=<N> (по умолчанию 1) · from=<ГГГГ-ММ-ДД> · until=<ГГГГ-ММ-ДД> (включая этот день; или ГГГГ-ММ-ДДTЧЧ:ММ, UTC) · plans=<id>,<id> (по умолчанию все тарифы)
    Пример: /promo_new SPRING20 percent 20 max=100 until=2026-12-31
admin-usage-promos = Формат: /promos (без аргументов): все промокоды с погашениями, лимитами, сроками и статусом.
admin-usage-promo-disable = Формат: /promo_disable <КОД>: код больше нельзя ввести или погасить.
promo-admin-created =
    ✅ Промокод { $code } создан: скидка { $discount }, { $scope }.
    Погашений: { $max } · на пользователя: { $perUser } · { $window }
    Ссылка, которая вводит его: { $link }
promo-admin-list = 🎟 Промокоды (сначала новые):
promo-admin-list-empty = Промокодов пока нет: создайте с помощью /promo_new.
promo-admin-line =
    { $code } · скидка { $discount } · { $status }
    погашено { $redeemed } из { $max } (оплачено { $used }) · { $perUser } на пользователя · { $window } · { $scope }
promo-admin-unlimited = без ограничения
promo-status-active = ✅ действует
promo-status-disabled = ⏸ отключён
promo-status-scheduled = 🕓 ещё не начался
promo-status-ended = ⌛ закончился
promo-status-exhausted = 🈵 исчерпан
promo-admin-disabled = ⏸ Промокод { $code } отключён: его больше нельзя ввести или погасить. Счета, уже посчитанные с ним, сохраняют скидку.
promo-admin-already-disabled = ℹ️ Промокод { $code } уже был отключён.
promo-unknown = ⚠️ Промокода «{ $code }» нет. См. /promos.
promo-exists = ⚠️ Промокод { $code } уже существует (коды не используются повторно; см. /promos).
promo-unknown-plans = ⚠️ Неизвестные тарифы: { $plans }. Тарифы: { $known }.
promo-bad-code = ⚠️ «{ $given }» не промокод: 3–32 символа из латинских букв A–Z, цифр, _ или -.
promo-bad-kind = ⚠️ «{ $given }» не вид скидки: percent или fixed.
promo-bad-percent = ⚠️ «{ $given }» не процент скидки: больше 0 и не больше 100, например 20 или 12.5.
promo-bad-amount = ⚠️ «{ $given }» не сумма в { $currency }: положительная сумма не более чем с допустимыми знаками после запятой, до { $max }.
promo-bad-currency = ⚠️ Неизвестная валюта «{ $given }»: используйте одну из { $currencies }.
promo-bad-max = ⚠️ max={ $given }: укажите целое число от 1 до { $max }.
promo-bad-per-user = ⚠️ per_user={ $given }: укажите целое число от 1 до { $max }.
promo-bad-date = ⚠️ { $name }={ $given } не дата: укажите ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTЧЧ:ММ (UTC).
promo-bad-window = ⚠️ until={ $until } не позже from={ $from }.
promo-ends-in-past = ⚠️ until={ $until } уже прошло: кодом никто не смог бы воспользоваться.
promo-bad-plans = ⚠️ plans={ $given }: укажите id тарифов через запятую, например plans=monthly,yearly.
promo-bad-option = ⚠️ «{ $given }» не параметр. Параметры: { $options }
promo-repeated-option = ⚠️ { $name }= указан дважды.
invoice-promo-applied = 🎟 Промокод { $code } применён: скидка { $discount } { $currency }. К оплате { $price } { $currency }.
invoice-promo-refused = ⚠️ Промокод { $code } не удалось применить к этому счёту ({ $reason }); счёт по полной цене.
invoice-paid-by-promo = ✅ Промокод покрыл всю цену. Спасибо!
plan-promo-applied = 🎟 С промокодом { $code } вы платите { $price } (или { $stars } ⭐).
plan-promo-not-applied = 🎟 Ваш промокод { $code } не действует для этого тарифа.

## payouts
# Выплаты продавцам (/balance, /withdraw), выплаты возвратов (/refund_wallet), /payouts для администраторов.
payout-stars-not-paid-out = ⭐ Выручка в Stars не выводится на криптокошелёк: она остаётся на балансе. Напишите в поддержку, если нужно её рассчитать.
payout-blocked-negative = ⚠️ Ваш доступный баланс { $available }: возврат забрал уже начисленные вам деньги. Выплаты заблокированы, пока новые поступления это не покроют (вы запросили { $amount }).
payout-blocked = ⚠️ Ваш доступный баланс { $available }: возврат забрал уже начисленные вам деньги. Выплаты заблокированы, пока новые поступления это не покроют.
payout-nothing-available = Пока нечего выводить: доступно { $available }, минимальная выплата { $minimum }.
payout-ask-button = 💸 Запросить выплату ({ $currency })
payout-choose-network = 💸 Выплата с баланса в { $currency }: в какой сети отправить?
payout-ask-wallet = Пришлите адрес кошелька в сети { $network } (ответом на это сообщение).
payout-ask-amount = Сколько? Доступно: { $available } · минимум: { $minimum }. Пришлите сумму, например 25 или 25.50.
withdraw-usage =
    Формат: /withdraw <сумма> <сеть> <кошелёк>
    например /withdraw 25 TRC20 TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL
    Сети: { $networks }. Минимум: { $minimum }. Доступно: { $available }.
    Или нажмите 💸 Запросить выплату под /balance.
balance-seller-payouts = Зарезервировано заявками на выплату { $reserved } · выплачено { $paidOut }
balance-seller-negative = ⚠️ Доступно { $available } после списания возврата: выплаты заблокированы, пока продажи это не покроют.
balance-seller-stars = ⭐ Выручка в Stars не выводится на криптокошелёк.
balance-seller-payout-hint = Вывести: кнопка ниже или /withdraw <сумма> <сеть> <кошелёк> (минимум { $minimum }).
refund-wallet-nothing-owed = Возврата, который можно перевести на кошелёк, у вас нет.
refund-wallet-choose-network = ↩️ Вам причитается возврат { $owed }. В какой сети его отправить?
refund-payout-requested = 🕓 Ваш возврат { $payoutId } на { $amount } { $currency } на { $wallet } ({ $network }) передан администратору, он его отправит.
refund-payout-approved = 👍 Ваш возврат { $payoutId } на { $amount } { $currency } одобрен и скоро будет отправлен.
refund-payout-paid = ✅ Ваш возврат { $payoutId }: { $amount } { $currency } отправлено на { $wallet } ({ $network }). Транзакция: { $txHash }
refund-payout-rejected = ✖️ Выплату возврата { $payoutId } отправить не удалось: { $reason }. Возврат по-прежнему вам причитается: укажите кошелёк снова через /refund_wallet.
admin-payout-requested-seller = 🏦 Заявка продавца на выплату { $payoutId }: { $amount } { $currency } для продавца { $userId } на { $wallet } ({ $network }).
admin-payout-requested-refund = ↩️ Заявка на выплату возврата { $payoutId }: { $amount } { $currency } причитается покупателю { $userId }, на { $wallet } ({ $network }).
admin-payout-rejected-seller = ✖️ Выплата { $payoutId } отклонена ({ $reason }). Сумма возвращена на доступный баланс продавца.
admin-payout-rejected-refund = ✖️ Выплата возврата { $payoutId } отклонена ({ $reason }). Возврат снова причитается покупателю.
payout-kind-referrer = реферер
payout-kind-seller = продавец
payout-kind-refund = возврат
admin-usage-payouts = Формат: /payouts (без аргументов): заявки на выплату, ждущие одобрения или отправки, сначала старые.
admin-payouts-empty = ✅ Заявок на выплату нет.
admin-payouts-header = 🏦 Заявки на выплату: { $count } (сначала старые)
admin-payouts-line = { $payoutId } · { $kind } { $userId } · { $amount } · { $network } { $wallet } · ждёт { $waited }
admin-payouts-line-approved = { $payoutId } · { $kind } { $userId } · { $amount } · { $network } { $wallet } · одобрена, ждёт { $waited }: после отправки /paid { $payoutId } <tx_hash>
admin-payouts-more = …и ещё { $more }.
email-payout-requested-subject = Заявка на выплату { $payoutId } принята
email-payout-requested-text =
    Здравствуйте, { $shop }!

    Мы получили вашу заявку на выплату { $payoutId } на { $amount } { $currency } на { $wallet } ({ $network }).
    Сумма зарезервирована с доступного баланса, пока администратор её не отправит или не отклонит.

    Чтобы выбрать, какие письма приходят, отправьте боту /alerts; /alerts off отключит все.
email-payout-approved-subject = Выплата { $payoutId } одобрена
email-payout-approved-text =
    Здравствуйте, { $shop }!

    Ваша выплата { $payoutId } на { $amount } { $currency } одобрена и скоро будет отправлена на { $wallet } ({ $network }).

    Чтобы выбрать, какие письма приходят, отправьте боту /alerts; /alerts off отключит все.
email-payout-paid-subject = Выплата { $payoutId } отправлена: { $amount } { $currency }
email-payout-paid-text =
    Здравствуйте, { $shop }!

    Ваша выплата { $payoutId }: { $amount } { $currency } отправлено на { $wallet } ({ $network }).
    Транзакция: { $txHash }

    Чтобы выбрать, какие письма приходят, отправьте боту /alerts; /alerts off отключит все.
email-payout-rejected-subject = Выплата { $payoutId } отклонена
email-payout-rejected-text =
    Здравствуйте, { $shop }!

    Ваша заявка на выплату { $payoutId } на { $amount } { $currency } отклонена: { $reason }.
    Сумма возвращена на доступный баланс; /balance в боте показывает её.

    Чтобы выбрать, какие письма приходят, отправьте боту /alerts; /alerts off отключит все.
## escrow-disputes (workflows/escrow.ts, workflows/clawback.ts, bot/features/disputes.ts, bot/features/escrow-admin.ts)
# Покупатель: спор из /library, возвраты
library-refunded = (возвращено: больше не ваше)
library-disputed = (⚖️ открыт спор)
library-dispute-hint = ⚠️ N: проблема с покупкой N? Сообщите, пока её оплата удерживается, до того как продажа станет окончательной.
dispute-ask-reason = ⚠️ Что не так с «{ $title }»? Ответьте кратким описанием (1–{ $max } символов): его прочтёт администратор и примет решение. Деньги продавца пока удерживаются.
dispute-reason-placeholder = Что не так
dispute-opened-buyer = ⚖️ Ваш спор по «{ $title }» открыт (заказ { $orderId }). Деньги продавца удерживаются до решения администратора; мы сообщим здесь.
dispute-refused-not-buyer = Это не ваша покупка.
dispute-refused-not-paid = Заказ не оплачен: спорить не о чем.
dispute-refused-refunded = Эта покупка уже возвращена.
dispute-refused-outside-hold = Продажа уже окончательная: оплата передана продавцу. Если что-то не так, напишите в поддержку.
dispute-refused-already-disputed = Спор по этой покупке уже открыт (или решён): один на покупку.
dispute-refused-bad-reason = ⚠️ Опишите проблему в 1–{ $max } символах. Спор ещё не открыт: пришлите описание ещё раз.
dispute-refused-no-escrow = У этой покупки нет удержания, по которому можно спорить (она старше него). Напишите в поддержку.
dispute-released-buyer = ⚖️ Ваш спор по «{ $title }» (заказ { $orderId }) решён: продажа остаётся в силе, оплата переходит продавцу. Товар остаётся вашим.
escrow-refunded-buyer-stars = ↩️ Покупка «{ $title }» (заказ { $orderId }) возвращена: { $refund } снова на вашем балансе Telegram Stars. В /library её больше нет.
escrow-refunded-buyer-wallet =
    ↩️ Покупка «{ $title }» (заказ { $orderId }) возвращена: { $refund } вернём вам в криптовалюте. В /library её больше нет.
    Нажмите кнопку ниже и пришлите адрес кошелька для возврата.
escrow-split-buyer-wallet =
    ⚖️ Ваш спор по «{ $title }» (заказ { $orderId }) решён: { $refund } от цены вернём вам в криптовалюте; товар остаётся вашим.
    Нажмите кнопку ниже и пришлите адрес кошелька для возврата.
escrow-refund-wallet-button = 👛 Указать кошелёк для возврата
# Продавец
dispute-opened-seller =
    ⚖️ Покупатель «{ $title }» (заказ { $orderId }, { $price }) открыл спор:
    «{ $reason }»
    Деньги удерживаются до решения администратора; мы сообщим.
dispute-decided-seller = ⚖️ Спор по «{ $title }» (заказ { $orderId }) решён: { $outcome ->
    [refund] покупателю возвращено { $price }; вам ничего не переводится.
    [release] продажа в силе; деньги переведены вам.
    [split] покупателю возвращается { $share }; вам переведено { $released }.
   *[other] спор закрыт.
  }
escrow-refunded-seller = ↩️ Продажа «{ $title }» (заказ { $orderId }) возвращена покупателю во время удержания: вам ничего не переводится.
escrow-clawback-seller = ↩️ Продажа «{ $title }» (заказ { $orderId }) возвращена после перевода вам: { $amount } списано с вашего доступного баланса (покупатель получил { $refund }). Если баланс ниже нуля, его сначала покроют следующие продажи.
email-release-subject = Доступно: { $title }
email-release-text =
    Здравствуйте, { $shop }!

    Продажа «{ $title }» (заказ { $orderId }) завершена: { $amount } теперь доступны вам (комиссия платформы { $fee }).
    Ваши деньги показывает /balance в боте.

    Какие письма присылать, выберите командой /alerts в боте; /alerts off отключает все.
email-dispute-subject = Спор: { $title }
email-dispute-text =
    Здравствуйте, { $shop }!

    Покупатель «{ $title }» (заказ { $orderId }, { $price }) открыл спор:
    «{ $reason }»

    Деньги удерживаются до решения администратора; мы сообщим.

    Какие письма присылать, выберите командой /alerts в боте; /alerts off отключает все.
email-dispute-decided-subject = Спор решён: { $title }
email-dispute-decided-text =
    Здравствуйте, { $shop }!

    Спор по «{ $title }» (заказ { $orderId }) решён: { $outcome ->
        [refund] покупателю возвращено { $price }; вам ничего не переводится.
        [release] продажа в силе; деньги переведены вам.
        [split] покупателю возвращается { $share }; вам переведено { $released }.
       *[other] спор закрыт.
    }

    Какие письма присылать, выберите командой /alerts в боте; /alerts off отключает все.
email-clawback-subject = Возврат после перевода: { $title }
email-clawback-text =
    Здравствуйте, { $shop }!

    Продажа «{ $title }» (заказ { $orderId }) возвращена после перевода вам: { $amount } списано с вашего доступного баланса.
    Если баланс ниже нуля, его сначала покроют следующие продажи; его показывает /balance в боте.

    Какие письма присылать, выберите командой /alerts в боте; /alerts off отключает все.
# Администраторы: уведомление о споре и его кнопки, /escrow, /refund_order, /resolve_dispute
admin-dispute-open =
    ⚖️ Спор по заказу { $orderId }: «{ $title }» ({ $price }) магазина { $shop } (продавец { $sellerId }), открыл покупатель { $buyerId }:
    «{ $reason }»
    Перевод продавцу заморожен до вашего решения.
admin-dispute-reminder =
    ⏰ Всё ещё ждёт решения: спор по заказу { $orderId }, «{ $title }» ({ $price }), покупатель { $buyerId }:
    «{ $reason }»
dispute-refund-button = ↩️ Вернуть покупателю
dispute-release-button = ✅ Перевести продавцу
dispute-split-button = ➗ Разделить
admin-dispute-decided = ⚖️ Решение { $by }: { $outcome ->
    [refund] покупателю возвращено { $price }.
    [release] переведено продавцу.
    [split] { $share } покупателю, { $released } переведено продавцу.
   *[other] закрыто.
  }
admin-dispute-resolved = ✅ Спор по заказу { $orderId } решён: { $outcome ->
    [refund] покупателю возвращено { $price }.
    [release] переведено продавцу.
    [split] { $share } покупателю, { $released } переведено продавцу.
   *[other] закрыт.
  }
admin-dispute-already = ℹ️ Спор по заказу { $orderId } уже решён ({ $by }): { $outcome ->
    [refund] покупателю возвращено { $price }.
    [release] переведено продавцу.
    [split] { $share } покупателю, { $released } переведено продавцу.
   *[other] закрыт.
  } Больше ничего не сделано.
admin-dispute-none = ⚠️ По заказу { $orderId } нет спора для решения.
admin-dispute-refused = ⚠️ Заказ { $orderId }: { $reason }. Ничего не сделано.
admin-dispute-bad-share = ⚠️ «{ $given }» — не доля: укажите сумму, например 7.50, или процент, например 30%.
admin-dispute-split-stars = ⚠️ Заказ { $orderId } оплачен в Stars, а Telegram возвращает их только целиком: верните или переведите продавцу.
admin-dispute-split-prompt = ➗ Раздел заказа { $orderId } (цена { $price }): сколько вернуть покупателю? Нажмите 50/50 или ответьте на это сообщение суммой (например 7.50) или процентом (например 30%). Остаток переводится продавцу.
admin-dispute-half-button = ➗ 50/50: { $half } покупателю
admin-usage-refund-order = Формат: /refund_order <order_id>: возврат заказа маркетплейса (Stars — через Telegram); после перевода продавцу — списание с его баланса.
admin-usage-resolve-dispute = Формат: /resolve_dispute <order_id> refund | release | split [доля] (сумма, например 7.50, или процент, например 30%; по умолчанию половина).
admin-usage-escrow = Формат: /escrow (без аргументов): ближайшие переводы продавцам и открытые споры.
admin-order-unknown = ⚠️ Заказа «{ $orderId }» нет.
admin-order-refunded = ✅ Заказ { $orderId } возвращён из удержания: { $amount } покупателю.
admin-order-already-refunded = ℹ️ Заказ { $orderId } уже возвращён ({ $by }, { $amount }). Больше ничего не сделано.
admin-order-clawed-back = ✅ Заказ { $orderId } уже был переведён продавцу: { $amount } списано с его доступного баланса в пользу покупателя.
admin-order-already-clawed-back = ℹ️ По заказу { $orderId } списание уже сделано ({ $by }, { $amount }). Больше ничего не сделано.
admin-order-refund-refused-not-paid = ⚠️ Заказ { $orderId } не оплачен: возвращать нечего.
admin-order-refund-refused-no-escrow = ⚠️ У заказа { $orderId } нет удержания, из которого можно вернуть.
admin-order-refund-refused-split = ⚠️ Спор по заказу { $orderId } решён разделом: доля покупателя уже возвращена.
admin-order-refund-refused-not-released = ⚠️ По заказу { $orderId } списание невозможно: удержание не переводило продажу целиком.
admin-escrow-releasing = 🔒 Ближайшие переводы ({ $count }):
admin-escrow-none-releasing = Ничего не удерживается.
admin-escrow-sale = { $n }. { $releaseAt } · { $amount } магазину { $shop } (продавец { $sellerId }) · «{ $title }» · заказ { $orderId }
admin-escrow-overdue = ⚠️ Ещё { $count } удерживаются дольше срока: работает ли worker? (Temporal UI: ProcessStatus = 'held' AND ReleaseAt < now)
admin-escrow-disputed = ⚖️ Открытые споры ({ $count }):
admin-escrow-none-disputed = Нет.
admin-escrow-dispute =
    { $n }. заказ { $orderId } · «{ $title }» · { $amount } удерживается для { $shop } (продавец { $sellerId }) · покупатель { $buyerId } · с { $openedAt }
    «{ $reason }»
admin-escrow-refund-button = ↩️ { $n }
admin-escrow-release-button = ✅ { $n }
admin-escrow-split-button = ➗ { $n }
