"""AppAPI mode: Quorum run by Nextcloud as an external app (ExApp)."""
