-- Batches in number mode (ml.batch.numbers): an item is a whole-number reading instead of one prediction,
-- and its label is the number its file name or the batch's labels CSV gives, as written. A reading keeps
-- the size of the image it was read from: its digits' boxes are in those pixels, its stored picture may
-- be smaller.
ALTER TABLE batch_items ADD COLUMN reading_id BIGINT;
ALTER TABLE batch_items ADD COLUMN number_label VARCHAR;
ALTER TABLE readings ADD COLUMN width INTEGER;
ALTER TABLE readings ADD COLUMN height INTEGER;
