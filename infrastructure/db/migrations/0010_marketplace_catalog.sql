-- Trigram indexes (products_title_trgm_idx) for misspelt catalog searches; a trusted extension since PostgreSQL 13.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "categories" (
	"id" text PRIMARY KEY NOT NULL,
	"sort_order" integer NOT NULL,
	"names" jsonb NOT NULL,
	CONSTRAINT "categories_id_format" CHECK ("categories"."id" ~ '^[a-z][a-z0-9-]{1,31}$')
);
--> statement-breakpoint
CREATE TABLE "product_files" (
	"id" text PRIMARY KEY NOT NULL,
	"product_id" text NOT NULL,
	"role" text NOT NULL,
	"object_key" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"content_type" text NOT NULL,
	"original_name" text NOT NULL,
	"checksum" text,
	"upload_id" text,
	"state" text DEFAULT 'uploading' NOT NULL,
	"refusal_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "product_files_objectKey_unique" UNIQUE("object_key"),
	CONSTRAINT "product_files_role" CHECK ("product_files"."role" in ('file', 'cover', 'preview')),
	CONSTRAINT "product_files_state" CHECK ("product_files"."state" in ('uploading', 'stored', 'refused', 'deleted')),
	CONSTRAINT "product_files_size_non_negative" CHECK ("product_files"."size_bytes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" text PRIMARY KEY NOT NULL,
	"seller_id" bigint NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category_id" text NOT NULL,
	"price_minor" bigint,
	"currency" text,
	"price_stars" bigint,
	"status" text DEFAULT 'draft' NOT NULL,
	"rejection_reason" text,
	"deleted_at" timestamp with time zone,
	"views_count" bigint DEFAULT 0 NOT NULL,
	"sales_count" bigint DEFAULT 0 NOT NULL,
	"rating_sum" integer DEFAULT 0 NOT NULL,
	"rating_count" integer DEFAULT 0 NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, "products"."title"), 'A') || setweight(to_tsvector('simple'::regconfig, "products"."description"), 'B')) STORED NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_status" CHECK ("products"."status" in ('draft', 'pending_review', 'active', 'hidden', 'rejected')),
	CONSTRAINT "products_title_length" CHECK (char_length("products"."title") between 1 and 100),
	CONSTRAINT "products_description_length" CHECK (char_length("products"."description") <= 4000),
	CONSTRAINT "products_has_price" CHECK ("products"."price_minor" is not null or "products"."price_stars" is not null),
	CONSTRAINT "products_fiat_price" CHECK (("products"."price_minor" is null and "products"."currency" is null) or ("products"."price_minor" is not null and "products"."currency" is not null and "products"."price_minor" > 0 and "products"."currency" ~ '^[A-Z]{3}$')),
	CONSTRAINT "products_price_stars_range" CHECK ("products"."price_stars" is null or "products"."price_stars" between 1 and 10000),
	CONSTRAINT "products_counters_non_negative" CHECK ("products"."views_count" >= 0 and "products"."sales_count" >= 0 and "products"."rating_sum" >= 0 and "products"."rating_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "sellers" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"shop_slug" text NOT NULL,
	"alert_email" text,
	"terms_accepted_at" timestamp with time zone NOT NULL,
	"payout_details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sellers_shopSlug_unique" UNIQUE("shop_slug"),
	CONSTRAINT "sellers_shop_slug_format" CHECK ("sellers"."shop_slug" ~ '^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$'),
	CONSTRAINT "sellers_display_name_length" CHECK (char_length("sellers"."display_name") between 1 and 64)
);
--> statement-breakpoint
CREATE TABLE "telegram_file_cache" (
	"object_key" text PRIMARY KEY NOT NULL,
	"file_id" text NOT NULL,
	"file_unique_id" text NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "product_files" ADD CONSTRAINT "product_files_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_seller_id_sellers_user_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."sellers"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sellers" ADD CONSTRAINT "sellers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "product_files_product_idx" ON "product_files" USING btree ("product_id","role");--> statement-breakpoint
CREATE INDEX "product_files_state_idx" ON "product_files" USING btree ("state","created_at");--> statement-breakpoint
CREATE INDEX "products_seller_idx" ON "products" USING btree ("seller_id","created_at");--> statement-breakpoint
CREATE INDEX "products_catalog_idx" ON "products" USING btree ("status","category_id","created_at");--> statement-breakpoint
CREATE INDEX "products_search_idx" ON "products" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "products_title_trgm_idx" ON "products" USING gin ("title" gin_trgm_ops);