CREATE TABLE "outbox_messages" (
	"key" text PRIMARY KEY NOT NULL,
	"chat_id" bigint NOT NULL,
	"status" text NOT NULL,
	"message_id" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "outbox_messages_status_idx" ON "outbox_messages" USING btree ("status");