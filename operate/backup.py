"""``hotline backup`` and ``hotline restore``: each service's database, out and back.

A backup is a folder in mongodump's own layout, so either tool reads the
other's::

    hotline-backup-20261201T080000Z/
        manifest.json                         when, which tool, documents per collection
        hotline_intake/tickets.bson.gz        the documents, BSON, gzip
        hotline_intake/tickets.metadata.json.gz   the collection's indexes

``mongodump``/``mongorestore`` do the work when they are installed (MongoDB's
database tools; the official ``mongo`` image has them); otherwise pymongo
reads and writes the same files. The databases are dumped one at a time,
intake's last: every ticket another service holds is then also in intake's
dump, and what intake took in after the other dumps is what the reconciler
repairs after a restore (docs/operations.md, "Restore drill").

This is the one part of the ``hotline`` command that opens the services'
databases: it runs the database's own tools against them, as a database
administrator does, and reads nothing for itself. It refuses the in-memory
store: that store lives inside each service's process, and nothing outside
the process can copy it (``backup_client``/``restore_client`` do the same
work on any pymongo-shaped client; the restore drill test uses them).
"""
import datetime as dt
import gzip
import json
import shutil
import subprocess
from pathlib import Path

import bson
from bson import json_util

# Downstream first, intake last (see above).
ORDER = ("insight", "callcentre", "notify", "followup", "routing", "console", "intake")
BATCH = 1000


class BackupError(Exception):
    """The backup or restore cannot be done as asked; the message says why."""


def databases(prefix, services=None):
    wanted = [s for s in ORDER if not services or s in services]
    return [(service, f"{prefix}{service}") for service in wanted]


def tool_available(name):
    return shutil.which(name) is not None


def check_uri(uri):
    if not uri or uri.startswith("memory://"):
        raise BackupError("MONGO_URI is the in-memory store: it lives inside each service's process and "
                          "dies with it, so there is nothing to back up from outside. Use a MongoDB "
                          "(MONGO_URI=mongodb://...) for data you keep.")
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise BackupError("MONGO_URI must be a mongodb:// or mongodb+srv:// URI")


def choose_tool(tool, program):
    if tool == "auto":
        return "mongo-tools" if tool_available(program) else "pymongo"
    if tool == "mongo-tools" and not tool_available(program):
        raise BackupError(f"{program} is not installed (MongoDB's database tools)")
    return tool


# -- backup ------------------------------------------------------------------------------


def mongodump_command(uri, database, out_dir):
    return ["mongodump", f"--uri={uri}", f"--db={database}", f"--out={out_dir}", "--gzip", "--quiet"]


def backup(uri, out_dir, prefix="hotline_", services=None, tool="auto", now=None):
    """Dump every service's database into a new folder under ``out_dir``; its manifest."""
    check_uri(uri)
    tool = choose_tool(tool, "mongodump")
    folder = new_folder(out_dir, now)
    if tool == "pymongo":
        import pymongo

        client = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10000)
        try:
            return backup_client(client, folder, prefix, services, now=now)
        finally:
            client.close()
    manifest = start_manifest("mongodump", now)
    for _service, name in databases(prefix, services):
        subprocess.run(mongodump_command(uri, name, folder), check=True)
        manifest["databases"][name] = counts_in(folder / name)
    return finish_manifest(folder, manifest)


def new_folder(out_dir, now=None):
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(out_dir) / f"hotline-backup-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def start_manifest(tool, now=None):
    from importlib.metadata import PackageNotFoundError, version

    try:
        hotline_version = version("hotline")
    except PackageNotFoundError:
        hotline_version = "unknown"
    return {"format": "mongodump directory, gzip", "tool": tool, "hotline": hotline_version,
            "started_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
            "order": list(ORDER), "databases": {}}


def finish_manifest(folder, manifest):
    manifest["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    manifest["folder"] = str(folder)
    return manifest


def backup_client(client, folder, prefix="hotline_", services=None, now=None):
    """The pymongo export: ``client``'s service databases into ``folder`` (mongodump's layout)."""
    folder = Path(folder)
    manifest = start_manifest("pymongo", now)
    for _service, name in databases(prefix, services):
        database = client[name]
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        counts = {}
        for collection_name in sorted(database.list_collection_names()):
            collection = database[collection_name]
            count = 0
            with gzip.open(target / f"{collection_name}.bson.gz", "wb") as out:
                for doc in collection.find({}).sort("_id", 1):
                    out.write(bson.encode(doc))
                    count += 1
            metadata = {"options": {}, "indexes": index_specs(collection),
                        "collectionName": collection_name, "type": "collection"}
            with gzip.open(target / f"{collection_name}.metadata.json.gz", "wt", encoding="utf-8") as out:
                out.write(json_util.dumps(metadata))
            counts[collection_name] = count
        manifest["databases"][name] = counts
    return finish_manifest(folder, manifest)


def index_specs(collection):
    """The collection's indexes as mongodump writes them in ``metadata.json``."""
    specs = []
    for name, info in sorted(collection.index_information().items()):
        spec = {"v": info.get("v", 2), "key": bson.SON(info["key"]), "name": name}
        spec.update({k: v for k, v in info.items() if k not in ("v", "key", "ns")})
        specs.append(spec)
    return specs


def counts_in(folder):
    """Documents per collection in one database folder of a backup."""
    return {path.name[:-len(".bson.gz")]: sum(1 for _ in read_documents(path))
            for path in sorted(Path(folder).glob("*.bson.gz"))}


# -- restore ----------------------------------------------------------------------------


def read_documents(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from bson.decode_file_iter(handle, codec_options=bson.CodecOptions(tz_aware=True))


def read_metadata(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json_util.loads(handle.read())


def load_manifest(folder):
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise BackupError(f"{folder} holds no manifest.json: not a hotline backup")
    return json.loads(path.read_text())


def check(folder, prefix="hotline_", services=None):
    """Read the whole backup back and compare with its manifest; ``{database: counts}``."""
    manifest = load_manifest(folder)
    found = {}
    for _, name in databases(prefix, services):
        if name not in manifest["databases"]:
            continue
        found[name] = counts_in(Path(folder) / name)
        if found[name] != manifest["databases"][name]:
            raise BackupError(f"{name}: the files hold {found[name]}, the manifest says "
                              f"{manifest['databases'][name]}")
    return found


def mongorestore_command(uri, folder, database, drop):
    command = ["mongorestore", f"--uri={uri}", f"--dir={folder}", f"--nsInclude={database}.*", "--gzip",
               "--quiet"]
    return command + (["--drop"] if drop else [])


def restore(uri, folder, prefix="hotline_", services=None, drop=False, tool="auto"):
    """Restore every service database the backup holds; ``{database: counts}``."""
    check_uri(uri)
    expected = check(folder, prefix, services)
    tool = choose_tool(tool, "mongorestore")
    if tool == "pymongo":
        import pymongo

        client = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10000)
        try:
            return restore_client(client, folder, prefix, services, drop)
        finally:
            client.close()
    for name in expected:
        subprocess.run(mongorestore_command(uri, folder, name, drop), check=True)
    return expected


def restore_client(client, folder, prefix="hotline_", services=None, drop=False):
    """The pymongo import of a backup into ``client``; refuses to write over data unless ``drop``."""
    expected = check(folder, prefix, services)
    for name in expected:
        database = client[name]
        present = [c for c in database.list_collection_names() if database[c].estimated_document_count()]
        if present and not drop:
            raise BackupError(f"{name} is not empty ({', '.join(sorted(present))}): restore with --drop "
                              "to replace it, after stopping the services")
    for name, counts in expected.items():
        database = client[name]
        for collection_name in counts:
            collection = database[collection_name]
            if drop:
                collection.drop()
            metadata = read_metadata(Path(folder) / name / f"{collection_name}.metadata.json.gz")
            for spec in metadata.get("indexes", []):
                if spec["name"] == "_id_":
                    continue
                options = {k: v for k, v in spec.items() if k not in ("v", "key", "ns")}
                collection.create_index(list(spec["key"].items()), **options)
            batch = []
            for doc in read_documents(Path(folder) / name / f"{collection_name}.bson.gz"):
                batch.append(doc)
                if len(batch) >= BATCH:
                    collection.insert_many(batch)
                    batch = []
            if batch:
                collection.insert_many(batch)
        restored = {c: database[c].count_documents({}) for c in counts}
        if restored != counts:
            raise BackupError(f"{name}: restored {restored}, the backup holds {counts}")
    return expected
