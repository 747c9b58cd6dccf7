CREATE TABLE "greetings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"text" text NOT NULL,
	"request_id" text,
	"create_time" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "greetings_request_id_unique" UNIQUE("request_id")
);
