CREATE TABLE "promo_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"percent_bps" integer,
	"amount_minor" bigint,
	"currency" text,
	"max_redemptions" integer,
	"max_per_user" integer DEFAULT 1 NOT NULL,
	"redeemed_count" integer DEFAULT 0 NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"scope" text DEFAULT 'all' NOT NULL,
	"scope_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "promo_codes_code_format" CHECK ("promo_codes"."code" ~ '^[A-Z0-9_-]{3,32}$'),
	CONSTRAINT "promo_codes_discount" CHECK (("promo_codes"."kind" = 'percent' and "promo_codes"."percent_bps" between 1 and 10000 and "promo_codes"."amount_minor" is null and "promo_codes"."currency" is null) or ("promo_codes"."kind" = 'fixed' and "promo_codes"."percent_bps" is null and "promo_codes"."amount_minor" > 0 and "promo_codes"."currency" is not null)),
	CONSTRAINT "promo_codes_scope" CHECK ("promo_codes"."scope" in ('all', 'plans', 'products', 'sellers')),
	CONSTRAINT "promo_codes_max_redemptions" CHECK ("promo_codes"."max_redemptions" is null or "promo_codes"."max_redemptions" >= 1),
	CONSTRAINT "promo_codes_max_per_user" CHECK ("promo_codes"."max_per_user" >= 1),
	CONSTRAINT "promo_codes_redeemed_within_cap" CHECK ("promo_codes"."redeemed_count" >= 0 and ("promo_codes"."max_redemptions" is null or "promo_codes"."redeemed_count" <= "promo_codes"."max_redemptions")),
	CONSTRAINT "promo_codes_window" CHECK ("promo_codes"."starts_at" is null or "promo_codes"."ends_at" is null or "promo_codes"."ends_at" > "promo_codes"."starts_at"),
	CONSTRAINT "promo_codes_scope_ids" CHECK (jsonb_typeof("promo_codes"."scope_ids") = 'array' and ("promo_codes"."scope" = 'all') = (jsonb_array_length("promo_codes"."scope_ids") = 0))
);
--> statement-breakpoint
CREATE TABLE "promo_redemptions" (
	"invoice_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"user_id" bigint NOT NULL,
	"discount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"used_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "promo_redemptions_discount_positive" CHECK ("promo_redemptions"."discount_minor" > 0),
	CONSTRAINT "promo_redemptions_status" CHECK ("promo_redemptions"."status" in ('reserved', 'used', 'released'))
);
--> statement-breakpoint
CREATE TABLE "promo_selections" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"selected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "promo_redemptions" ADD CONSTRAINT "promo_redemptions_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promo_redemptions" ADD CONSTRAINT "promo_redemptions_code_promo_codes_code_fk" FOREIGN KEY ("code") REFERENCES "public"."promo_codes"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promo_redemptions" ADD CONSTRAINT "promo_redemptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promo_selections" ADD CONSTRAINT "promo_selections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promo_selections" ADD CONSTRAINT "promo_selections_code_promo_codes_code_fk" FOREIGN KEY ("code") REFERENCES "public"."promo_codes"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "promo_redemptions_code_user_idx" ON "promo_redemptions" USING btree ("code","user_id");