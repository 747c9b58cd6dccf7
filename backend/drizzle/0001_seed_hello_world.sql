-- The seed greeting that SayHello (GET /) serves. Guarded so replaying it can never duplicate it.
INSERT INTO "greetings" ("text")
SELECT 'Hello World'
WHERE NOT EXISTS (SELECT 1 FROM "greetings" WHERE "text" = 'Hello World');
