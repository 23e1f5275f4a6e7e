-- A model's prediction path as plain arrays (ml/compact_model.py), in an .npz beside its artifact:
-- its sha256, checked before it is read as the artifact's is. NULL: the model has no compact form
-- (a family it does not describe, or registered before this column), and loads whole.
ALTER TABLE models ADD COLUMN compact_sha256 VARCHAR;
