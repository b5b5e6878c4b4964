"""Builds training/burrow-finetune.ipynb from the cells below, inlining check_dataset.py and
dataset-schema.json, so the notebook's check is the very code and schema the repository tests.

    python3 training/make_notebook.py      # rewrites the notebook
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def check_module_source():
    """check_dataset.py without its command-line entry (a notebook kernel has its own argv)."""
    with open(os.path.join(HERE, "check_dataset.py"), encoding="utf-8") as f:
        source = f.read()
    return source.split('\nif __name__ == "__main__":')[0].rstrip() + "\n"


def schema_source():
    with open(os.path.join(HERE, "dataset-schema.json"), encoding="utf-8") as f:
        return f.read().strip()


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n")}


CELLS = [
    md("""
# Burrow: fine-tune Qwen2.5-7B-Instruct with LoRA (free Colab/Kaggle T4)

This notebook trains a small **LoRA adapter** for the model Burrow runs (Qwen2.5-7B-Instruct), on public
coding data plus **your own conversations** exported with `burrow training export`, and turns it into a
GGUF adapter file (~80 MB) that Burrow loads on top of its quantized model. Your laptop needs no GPU.

**Run it top to bottom** (Runtime → Run all) on a GPU runtime: Colab *Runtime → Change runtime type → T4 GPU*,
or Kaggle *Settings → Accelerator → GPU T4 x1* (Kaggle: also turn Internet on).

What fits on a free **T4 (16 GB, no bf16)**:

| setting | value | why |
| --- | --- | --- |
| base weights | 4-bit NF4 (bitsandbytes), fp16 compute | 7B in ~5.5 GB |
| LoRA | r=16, alpha=32, all attention + MLP projections | ~40 M trainable parameters |
| max sequence length | 2048 tokens | longer examples are cut |
| batch | 1 × gradient accumulation 16 | effective batch 16, ~12–14 GB peak |
| gradient checkpointing | on | trades ~30 % speed for memory |

If training stops with *CUDA out of memory*, set `MAX_SEQ_LEN = 1024` in the settings cell and run all again.

**Time on a T4** (rough): installing ~3 min, downloading the base model (15 GB) ~4–8 min, training
~1.5–2.5 s per example at 1–2k tokens → the default 1,500 coding examples + your data for 1 epoch is
~45–70 min (Colab's free sessions last up to ~3 h; lower `CODING_EXAMPLES` if you are short of time),
conversion ~3 min.
"""),
    code("""
# Pinned versions that work together on Colab/Kaggle (newer TRL renamed some options).
%pip install -q "transformers==4.46.3" "peft==0.13.2" "trl==0.12.2" "bitsandbytes==0.45.0" "accelerate==1.1.1" "datasets==3.1.0" "huggingface_hub>=0.26,<1"
"""),
    code("""
# Settings: change these, then run everything.
BASE_MODEL = "Qwen/Qwen2.5-7B-Instruct"          # the model Burrow runs (its GGUF is a quantization of this)
CODING_DATASET = "iamtarun/python_code_instructions_18k_alpaca"  # public coding instructions (instruction/input/output)
CODING_EXAMPLES = 1500                            # how many of them to mix in
USER_REPEATS = 3                                  # your own examples count this many times (they are few but matter most)
MAX_SEQ_LEN = 2048
EPOCHS = 1
LEARNING_RATE = 2e-4
LORA_R, LORA_ALPHA, LORA_DROPOUT = 16, 32, 0.05
ADAPTER_DIR = "burrow-lora"                       # the PEFT adapter (safetensors)
GGUF_FILE = "burrow-lora.gguf"                    # what you bring back to Burrow
USER_DATA = "burrow-dataset.jsonl"                # your export; uploaded below
SEED = 42
"""),
    md("""
## 1. Upload your data

On your computer: `burrow training export --strip-ids --out burrow-dataset.jsonl` (only 👍-rated answers of
people on your allowlist). Run the next cell and pick that file. On Kaggle, add it as a dataset instead
(it is looked for under `/kaggle/input`). Without a file the notebook trains on the coding data only.
"""),
    code("""
import glob
import os
import shutil

def find_user_data():
    if os.path.exists(USER_DATA):
        return USER_DATA
    kaggle = sorted(glob.glob("/kaggle/input/**/*.jsonl", recursive=True))
    if kaggle:
        shutil.copy(kaggle[0], USER_DATA)
        return USER_DATA
    try:
        from google.colab import files  # only on Colab
    except ImportError:
        return None
    uploaded = files.upload()
    names = [name for name in uploaded if name.endswith(".jsonl")]
    if not names:
        return None
    if names[0] != USER_DATA:
        shutil.move(names[0], USER_DATA)
    return USER_DATA

user_data_path = find_user_data()
print("your data:", user_data_path or "none (coding data only)")
"""),
    md("""
## 2. Check it against Burrow's dataset schema

The same check as `python3 training/check_dataset.py FILE.jsonl` in the Burrow repository (this cell holds
a copy of that module and of `training/dataset-schema.json`; Burrow's tests keep them identical).
"""),
    code("# --- training/dataset-schema.json ---\nimport json\nSCHEMA = json.loads(r'''\n" + schema_source() + "\n''')\n"),
    code("# --- training/check_dataset.py ---\n" + check_module_source()),
    code("""
user_examples = []
if user_data_path:
    count, problems = check_file(user_data_path, SCHEMA)
    for problem in problems[:20]:
        print(problem)
    if problems:
        raise ValueError(f"{user_data_path}: {len(problems)} problem(s); export it again with `burrow training export`")
    with open(user_data_path, encoding="utf-8") as f:
        user_examples = [json.loads(line) for line in f if line.strip()]
    print(f"OK: {count} example(s) from Burrow")
"""),
    md("""
## 3. Load the base model in 4 bits and add LoRA
"""),
    code("""
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
from peft import LoraConfig

assert torch.cuda.is_available(), "No GPU: choose a T4 GPU runtime (see the top of the notebook)"
tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)
tokenizer.padding_side = "right"
model = AutoModelForCausalLM.from_pretrained(
    BASE_MODEL,
    quantization_config=BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.float16,  # the T4 has no bf16
    ),
    device_map={"": 0},
    torch_dtype=torch.float16,
)
# SFTTrainer prepares the 4-bit model for training (prepare_model_for_kbit_training) and adds the LoRA layers.
lora_config = LoraConfig(
    r=LORA_R,
    lora_alpha=LORA_ALPHA,
    lora_dropout=LORA_DROPOUT,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    task_type="CAUSAL_LM",
)
print(f"GPU memory after loading: {torch.cuda.memory_allocated() / 2**30:.1f} GiB")
"""),
    md("""
## 4. Build the training set (Qwen2.5 chat template)
"""),
    code("""
from datasets import Dataset, concatenate_datasets, load_dataset

def coding_messages(row):
    question = row["instruction"] + (("\\n\\n" + row["input"]) if row.get("input") else "")
    return [
        {"role": "system", "content": "You are Burrow, a private assistant. Answer clearly and correctly; show code in fenced blocks."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": "```python\\n" + row["output"].strip() + "\\n```"},
    ]

def to_text(messages):
    # Burrow's examples may carry tool calls; Qwen2.5's template renders them. Metadata is not trained on.
    return tokenizer.apply_chat_template(messages, tokenize=False)

coding = load_dataset(CODING_DATASET, split="train").shuffle(seed=SEED)
coding = coding.select(range(min(CODING_EXAMPLES, len(coding))))
coding_texts = Dataset.from_dict({"text": [to_text(coding_messages(row)) for row in coding]})
parts = [coding_texts]
if user_examples:
    user_texts = Dataset.from_dict({"text": [to_text(example["messages"]) for example in user_examples]})
    parts += [user_texts] * USER_REPEATS
train_set = concatenate_datasets(parts).shuffle(seed=SEED)
print(len(train_set), "examples;", "first one:\\n", train_set[0]["text"][:600])
"""),
    md("""
## 5. Train
"""),
    code("""
from trl import SFTConfig, SFTTrainer

args = SFTConfig(
    output_dir="checkpoints",
    dataset_text_field="text",
    max_seq_length=MAX_SEQ_LEN,
    per_device_train_batch_size=1,
    gradient_accumulation_steps=16,
    gradient_checkpointing=True,
    num_train_epochs=EPOCHS,
    learning_rate=LEARNING_RATE,
    lr_scheduler_type="cosine",
    warmup_ratio=0.03,
    fp16=True,
    bf16=False,
    optim="paged_adamw_8bit",
    logging_steps=10,
    save_strategy="no",
    report_to="none",
    seed=SEED,
)
trainer = SFTTrainer(model=model, args=args, train_dataset=train_set, peft_config=lora_config, processing_class=tokenizer)
trainer.train()
trainer.model.save_pretrained(ADAPTER_DIR)
print("adapter saved in", ADAPTER_DIR, os.listdir(ADAPTER_DIR))
"""),
    md("""
## 6. Convert the adapter to GGUF (llama.cpp's `convert_lora_to_gguf.py`)

The converter reads the adapter and the base model's `config.json` (not its weights).
"""),
    code("""
!git clone --depth 1 https://github.com/ggml-org/llama.cpp
# The converter uses the gguf package inside the llama.cpp checkout; torch/transformers are already installed.
%pip install -q sentencepiece "protobuf<5"
"""),
    code("""
from huggingface_hub import snapshot_download

base_config_dir = snapshot_download(BASE_MODEL, allow_patterns=["config.json", "generation_config.json", "tokenizer*", "vocab.json", "merges.txt"])
"""),
    code("""
!python llama.cpp/convert_lora_to_gguf.py {ADAPTER_DIR} --base {base_config_dir} --outtype f16 --outfile {GGUF_FILE}
"""),
    code("""
size_mb = os.path.getsize(GGUF_FILE) / 1e6
with open(GGUF_FILE, "rb") as f:
    assert f.read(4) == b"GGUF", "the converter did not write a GGUF file"
print(f"{GGUF_FILE}: {size_mb:.0f} MB")
try:
    from google.colab import files
    files.download(GGUF_FILE)
except ImportError:
    print("Kaggle: download it from the Output panel (/kaggle/working/" + GGUF_FILE + ")")
"""),
    md("""
## 7. Bring it back to Burrow

On the laptop, with the downloaded file:

```sh
burrow adapters add ~/Downloads/burrow-lora.gguf   # checks it was trained for Burrow's base model
burrow adapters use burrow-lora                     # optionally --scale 0.5 to blend it in more gently
burrow adapters rollback                            # if answers got worse: back to the previous one
```

The adapter only fits **Qwen2.5-7B-Instruct** (any of its GGUF quantizations); Burrow refuses it for other models.
"""),
]


def notebook():
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "accelerator": "GPU",
            "colab": {"gpuType": "T4", "provenance": []},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "cells": [dict(cell, id=f"cell-{i:02d}") for i, cell in enumerate(CELLS)],
    }


def render():
    return json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    with open(os.path.join(HERE, "burrow-finetune.ipynb"), "w", encoding="utf-8") as f:
        f.write(render())
