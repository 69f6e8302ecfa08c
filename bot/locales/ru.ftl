# Уведомления от процессов
invoice-created = 🧾 Счёт на { $amount } { $currency }. Оплатите криптовалютой до { $expiresAt }.
invoice-pay-button = 💳 Оплатить
invoice-topup-button = 💳 Доплатить
invoice-partial = ⚠️ Получено { $received } из { $amount } { $currency }. Не хватает { $missing } { $currency }: доплатите до истечения счёта.
invoice-paid = ✅ Оплата { $amount } { $currency } получена. Спасибо!
invoice-overpaid = ✅ Оплата получена: { $received } { $currency } за { $amount } { $currency }. Переплата { $extra } { $currency } учтена, администратор свяжется с вами.
invoice-expired = ⌛ Срок счёта истёк без оплаты. Выберите тариф снова, когда захотите.
invoice-cancelled = ✖️ Счёт отменён.
invoice-needs-review = ⚠️ Срок счёта истёк, оплачено { $received } из { $amount } { $currency } (не хватает { $missing }). Администратор разберётся и свяжется с вами.
invoice-late-paid = ⚠️ Оплата пришла после закрытия счёта. Она учтена, администратор свяжется с вами.
admin-invoice-overpaid = 💰 Счёт { $invoiceId } (пользователь { $userId }) переплачен: { $received } { $currency } за { $amount }; сверх { $extra }.
admin-invoice-needs-review = 🔎 Счёт { $invoiceId } (пользователь { $userId }) истёк с частичной оплатой: { $received } из { $amount } { $currency }.
admin-invoice-late-paid = 🔎 Счёт { $invoiceId } (пользователь { $userId }): получено { $received } { $currency } после закрытия.
subscription-activated = 🎉 Подписка { $plan } активна до { $expiresAt }. Ваши личные ссылки ниже: отправьте заявку, и она будет одобрена сразу.
subscription-trial-started = 🎁 Пробный период { $plan } активен до { $expiresAt }. Ваши личные ссылки ниже.
subscription-extended = 🔁 Подписка { $plan } продлена до { $expiresAt }.
subscription-reminder = ⏰ Подписка { $plan } заканчивается { $expiresAt }. Продлите, чтобы не потерять доступ.
subscription-grace = ⏳ Подписка { $plan } закончилась. Доступ сохранится до { $accessUntil }: продлите до этого времени.
subscription-ended = 👋 Подписка { $plan } закончилась, доступ закрыт. Оформить снова можно в любой момент.
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
command-myplan = Мои подписки
command-trial = Пробный период
command-language = Сменить язык
command-help = Справка

# Payouts and referrals
referral-commission-held = 💸 Вы заработали { $amount } { $currency } с оплаты приглашённого вами пользователя. Сумма станет доступна { $releaseAt }.
referral-commission-available = ✅ Реферальная комиссия { $amount } { $currency } доступна для вывода.
referral-commission-reversed = ↩️ Оплата приглашённого вами пользователя возвращена, комиссия { $amount } { $currency } списана.
invoice-refunded = ↩️ Ваш платёж { $amount } { $currency } (счёт { $invoiceId }) возвращён.
payout-requested = 🕓 Заявка на вывод { $payoutId } на { $amount } { $currency } на { $wallet } ({ $network }) принята. Администратор её рассмотрит.
payout-approved = 👍 Вывод { $payoutId } на { $amount } { $currency } одобрен и скоро будет отправлен.
payout-paid = ✅ Вывод { $payoutId }: { $amount } { $currency } отправлено на { $wallet } ({ $network }). Транзакция: { $txHash }
payout-rejected = ✖️ Заявка на вывод { $payoutId } на { $amount } { $currency } отклонена: { $reason }. Сумма возвращена на доступный баланс.
admin-payout-requested = 🏦 Заявка на вывод { $payoutId }: { $amount } { $currency } для пользователя { $userId } на { $wallet } ({ $network }).
admin-payout-reminder = ⏰ Заявка на вывод { $payoutId } ({ $amount } { $currency } для пользователя { $userId }) всё ещё ждёт решения.
admin-payout-reminder-unpaid = ⏰ Вывод { $payoutId } ({ $amount } { $currency } на { $wallet }, { $network }) одобрен, но ещё не отмечен как отправленный.
payout-approve-button = ✅ Одобрить
payout-reject-button = ✖️ Отклонить
