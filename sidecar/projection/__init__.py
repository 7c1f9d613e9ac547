"""Pure functions from mirror data to domain objects (meetings, dossiers, obligations...).

Nothing here does I/O: inputs are the frozen dataclasses of :mod:`sidecar.projection.inputs`,
built from the database by :mod:`sidecar.storage.read`, plus settings and a clock.
"""
