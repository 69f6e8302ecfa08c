CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"buyer_id" bigint NOT NULL,
	"product_id" text NOT NULL,
	"seller_id" bigint NOT NULL,
	"rail" text NOT NULL,
	"invoice_id" text,
	"price_minor" bigint,
	"currency" text,
	"price_stars" bigint,
	"status" text DEFAULT 'awaiting_payment' NOT NULL,
	"paid_at" timestamp with time zone,
	"download_count" integer DEFAULT 0 NOT NULL,
	"last_download_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_status" CHECK ("orders"."status" in ('awaiting_payment', 'paid', 'delivered', 'refunded', 'expired', 'cancelled')),
	CONSTRAINT "orders_rail" CHECK ("orders"."rail" in ('cryptocloud', 'nowpayments', 'stars')),
	CONSTRAINT "orders_has_price" CHECK ("orders"."price_minor" is not null or "orders"."price_stars" is not null),
	CONSTRAINT "orders_paid_at" CHECK ("orders"."status" in ('awaiting_payment', 'expired', 'cancelled') or "orders"."paid_at" is not null),
	CONSTRAINT "orders_download_count" CHECK ("orders"."download_count" >= 0)
);
--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_buyer_id_users_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_seller_id_sellers_user_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."sellers"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "orders_buyer_idx" ON "orders" USING btree ("buyer_id","paid_at");--> statement-breakpoint
CREATE INDEX "orders_seller_idx" ON "orders" USING btree ("seller_id","paid_at");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_one_owned" ON "orders" USING btree ("buyer_id","product_id") WHERE "orders"."status" in ('paid', 'delivered');