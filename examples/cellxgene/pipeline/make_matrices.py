"""The cellxgene data compile, in small: one 10x-style dataset per tissue under
$RUNBOOK_OUTPUT_DIR/datasets/<name>/ (matrix.mtx in Matrix Market coordinate format, genes.tsv,
barcodes.tsv), and the config.yaml that CXG_CONFIG_FILE points at. Deterministic: a rerun writes
the same bytes, so an unchanged dataset is never uploaded again.
  CXG_DATASETS (default "pbmc,lung,liver"), CXG_CELLS (default 40), CXG_GENES (default 25)
"""
import os
import random

out = os.environ.get("RUNBOOK_OUTPUT_DIR", "data/cxg")
names = [n for n in os.environ.get("CXG_DATASETS", "pbmc,lung,liver").split(",") if n]
cells = int(os.environ.get("CXG_CELLS", "40"))
genes = int(os.environ.get("CXG_GENES", "25"))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(f"{path}.tmp", "w") as f:
        f.write(text)
    os.replace(f"{path}.tmp", path)  # a half-written file never shows under its real name


for i, name in enumerate(names):
    rng = random.Random(f"{name}-{cells}-{genes}")
    entries = [(g, c, rng.randint(1, 50)) for g in range(1, genes + 1) for c in range(1, cells + 1) if rng.random() < 0.2]
    lines = ["%%MatrixMarket matrix coordinate integer general", f"{genes} {cells} {len(entries)}"] + [f"{g} {c} {v}" for g, c, v in entries]
    base = os.path.join(out, "datasets", name)
    write(os.path.join(base, "matrix.mtx"), "\n".join(lines) + "\n")
    write(os.path.join(base, "genes.tsv"), "gene_id\tsymbol\n" + "".join(f"ENSG{g:08d}\tGENE{g}\n" for g in range(1, genes + 1)))
    write(os.path.join(base, "barcodes.tsv"), "barcode\ttissue\n" + "".join(f"{name.upper()}-{c:05d}\t{name}\n" for c in range(1, cells + 1)))
    print(f"progress {i + 1}/{len(names)} {name}: {len(entries)} entries", flush=True)

write(os.path.join(out, "config.yaml"), "server:\n  app:\n    title: cellxgene (sample)\n  multi_dataset:\n    dataroot: datasets\n")
