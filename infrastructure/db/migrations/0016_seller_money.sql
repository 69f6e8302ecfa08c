CREATE TABLE "disputes" (
	"order_id" text PRIMARY KEY NOT NULL,
	"buyer_id" bigint NOT NULL,
	"seller_id" bigint NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" bigint,
	"buyer_share_minor" bigint,
	"currency" text,
	CONSTRAINT "disputes_status" CHECK ("disputes"."status" in ('open', 'refunded', 'released', 'split')),
	CONSTRAINT "disputes_reason_length" CHECK (char_length("disputes"."reason") between 1 and 500),
	CONSTRAINT "disputes_resolved" CHECK (("disputes"."status" = 'open') = ("disputes"."resolved_at" is null)),
	CONSTRAINT "disputes_share" CHECK ("disputes"."buyer_share_minor" is null or "disputes"."buyer_share_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "payout_requests" ADD COLUMN "source" text DEFAULT 'referrer' NOT NULL;--> statement-breakpoint
ALTER TABLE "sellers" ADD COLUMN "alert_opt_outs" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_buyer_id_users_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_seller_id_sellers_user_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."sellers"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "disputes_open_idx" ON "disputes" USING btree ("opened_at") WHERE "disputes"."status" = 'open';--> statement-breakpoint
CREATE INDEX "payout_requests_status_idx" ON "payout_requests" USING btree ("status","requested_at");--> statement-breakpoint
ALTER TABLE "payout_requests" ADD CONSTRAINT "payout_requests_source" CHECK ("payout_requests"."source" in ('referrer', 'seller', 'refund'));