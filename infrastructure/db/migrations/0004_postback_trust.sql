CREATE TABLE "webhook_claims" (
	"provider" text NOT NULL,
	"dedup_key" text NOT NULL,
	"order_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_claims_provider_dedup_key_pk" PRIMARY KEY("provider","dedup_key")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_one_open_per_plan_idx" ON "invoices" USING btree ("user_id","plan_id") WHERE "invoices"."status" in ('creating', 'pending', 'partial');