ALTER TABLE "invoices" ADD COLUMN "promo_code" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "discount_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "pay_currency" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "pay_address" jsonb;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "charge_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "pay_message_id" integer;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "telegram_payment_charge_id" text;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "price_stars" bigint;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_discount_within_price" CHECK ("invoices"."discount_minor" >= 0 and "invoices"."discount_minor" + "invoices"."credit_minor" <= "invoices"."amount_minor");--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_price_stars_range" CHECK ("plans"."price_stars" is null or "plans"."price_stars" between 1 and 10000);