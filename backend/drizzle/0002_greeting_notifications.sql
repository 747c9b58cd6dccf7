-- WatchGreetings (infinitypool.v1) resumes a stream after the id of the last greeting a client
-- received, which is only safe if greetings become visible in id order. A sequence hands out ids
-- before commit, so two concurrent inserts could commit in the opposite order and a reader could
-- see id 6 while id 5 is still to come. Inserts therefore take a transaction-scoped advisory lock
-- before any row, and so any id, is made: a BEFORE ... FOR EACH STATEMENT trigger runs before the
-- column default calls nextval(), and the lock is held until commit, so ids are handed out and
-- committed in one order. Creates are serialised per database; each holds the lock for one INSERT.
CREATE FUNCTION greetings_serialize_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(4215770102);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER greetings_serialize_inserts BEFORE INSERT ON greetings
  FOR EACH STATEMENT EXECUTE FUNCTION greetings_serialize_inserts();
--> statement-breakpoint
-- Every insert, through any replica or by hand, wakes the listening connection of every backend.
-- NOTIFY is transactional: it is delivered at commit, in commit order, and never for a rolled-back
-- insert. One notification per statement, carrying the highest new id; listeners read the rows.
CREATE FUNCTION greetings_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  newest bigint;
BEGIN
  SELECT max(id) INTO newest FROM inserted;
  IF newest IS NOT NULL THEN
    PERFORM pg_notify('infinitypool_greetings', newest::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER greetings_notify_insert AFTER INSERT ON greetings
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION greetings_notify_insert();
