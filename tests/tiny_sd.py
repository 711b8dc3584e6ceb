"""A tiny, randomly initialised Stable Diffusion 1.x, saved as a single-file LDM checkpoint.

The diffusers test pattern: components built from small configs with seed 0.
They are written in the original (LDM) key layout, the layout of the
DreamShaper-style .safetensors files users download, so the product loads them
through exactly the code path of a real checkpoint (from_single_file with a
config folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

TINY = {
    "unet": {
        "_class_name": "UNet2DConditionModel", "block_out_channels": [32, 64], "layers_per_block": 2,
        "sample_size": 32, "in_channels": 4, "out_channels": 4, "cross_attention_dim": 32, "attention_head_dim": 8,
        "norm_num_groups": 32, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
    },
    "vae": {
        "_class_name": "AutoencoderKL", "block_out_channels": [32, 64], "in_channels": 3, "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "latent_channels": 4,
        "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"], "layers_per_block": 2, "norm_num_groups": 32,
        "sample_size": 64, "scaling_factor": 0.18215,
    },
    "text_encoder": {
        "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "bos_token_id": 0, "eos_token_id": 2,
        "hidden_size": 32, "intermediate_size": 37, "layer_norm_eps": 1e-05, "num_attention_heads": 4,
        "num_hidden_layers": 5, "pad_token_id": 1, "vocab_size": 49408, "max_position_embeddings": 77,
        "hidden_act": "quick_gelu", "projection_dim": 32,
    },
}

RESNET = [("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("out_layers.0", "norm2"), ("out_layers.3", "conv2"),
          ("emb_layers.1", "time_emb_proj"), ("skip_connection", "conv_shortcut")]
VAE_RESNET = [("nin_shortcut", "conv_shortcut"), ("norm_out.", "conv_norm_out.")]
VAE_ATTN = [("norm.", "group_norm."), ("q.", "to_q."), ("k.", "to_k."), ("v.", "to_v."), ("proj_out.", "to_out.0.")]


def unet_to_ldm(sd: dict, cfg: dict) -> dict:
    """diffusers UNet2DConditionModel keys -> LDM 'model.diffusion_model.' keys."""
    n, per = len(cfg["block_out_channels"]), cfg["layers_per_block"]
    prefixes = [("time_embed.0.", "time_embedding.linear_1."), ("time_embed.2.", "time_embedding.linear_2."),
                ("input_blocks.0.0.", "conv_in."), ("out.0.", "conv_norm_out."), ("out.2.", "conv_out."),
                ("middle_block.0.", "mid_block.resnets.0."), ("middle_block.1.", "mid_block.attentions.0."),
                ("middle_block.2.", "mid_block.resnets.1.")]
    for i in range(n):
        for j in range(per):
            prefixes.append((f"input_blocks.{(per + 1) * i + j + 1}.0.", f"down_blocks.{i}.resnets.{j}."))
            prefixes.append((f"input_blocks.{(per + 1) * i + j + 1}.1.", f"down_blocks.{i}.attentions.{j}."))
        if i < n - 1:
            prefixes.append((f"input_blocks.{(per + 1) * (i + 1)}.0.op.", f"down_blocks.{i}.downsamplers.0.conv."))
        has_attention = "CrossAttn" in cfg["up_block_types"][i]
        for j in range(per + 1):
            prefixes.append((f"output_blocks.{(per + 1) * i + j}.0.", f"up_blocks.{i}.resnets.{j}."))
            prefixes.append((f"output_blocks.{(per + 1) * i + j}.1.", f"up_blocks.{i}.attentions.{j}."))
        if i < n - 1:
            prefixes.append((f"output_blocks.{(per + 1) * i + per}.{2 if has_attention else 1}.conv.",
                             f"up_blocks.{i}.upsamplers.0.conv."))
    out = {}
    for key, value in sd.items():
        new = key
        for ldm, hf in prefixes:
            if key.startswith(hf):
                rest = key[len(hf):]
                if ".resnets." in hf:
                    for a, b in RESNET:
                        rest = rest.replace(b, a) if rest.startswith(b) else rest
                new = ldm + rest
                break
        else:
            raise KeyError(f"no LDM name for UNet key {key}")
        out["model.diffusion_model." + new] = value
    return out


def vae_to_ldm(sd: dict, cfg: dict) -> dict:
    n = len(cfg["block_out_channels"])
    out = {}
    for key, value in sd.items():
        new = key
        for i in range(n):
            new = new.replace(f"encoder.down_blocks.{i}.resnets.", f"encoder.down.{i}.block.")
            new = new.replace(f"encoder.down_blocks.{i}.downsamplers.0.", f"encoder.down.{i}.downsample.")
            new = new.replace(f"decoder.up_blocks.{i}.resnets.", f"decoder.up.{n - 1 - i}.block.")
            new = new.replace(f"decoder.up_blocks.{i}.upsamplers.0.", f"decoder.up.{n - 1 - i}.upsample.")
        for k in range(2):
            new = new.replace(f"mid_block.resnets.{k}.", f"mid.block_{k + 1}.")
        if "mid_block.attentions.0." in new:
            new = new.replace("mid_block.attentions.0.", "mid.attn_1.")
            for ldm, hf in VAE_ATTN:
                new = new.replace(hf, ldm)
            if new.endswith("weight") and value.dim() == 2:
                value = value[:, :, None, None]  # LDM's attention projections are 1x1 convolutions
        for ldm, hf in VAE_RESNET:
            new = new.replace(hf, ldm)
        out["first_stage_model." + new] = value
    return out


def make_tiny_checkpoint(dest: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write tiny.safetensors and its config folder (tiny component configs, SD 1.5 scheduler and
    tokenizer files); returns (checkpoint, config_source)."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel

    from muselab.nodes.sd15 import CONFIG

    dest.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**{k: v for k, v in TINY["unet"].items() if not k.startswith("_")})
    torch.manual_seed(seed)
    vae = AutoencoderKL(**{k: v for k, v in TINY["vae"].items() if not k.startswith("_")})
    torch.manual_seed(seed)
    text = CLIPTextModel(CLIPTextConfig(**{k: v for k, v in TINY["text_encoder"].items()
                                           if k not in ("architectures", "model_type")}))
    state = unet_to_ldm(unet.state_dict(), TINY["unet"]) | vae_to_ldm(vae.state_dict(), TINY["vae"])
    # LDM names keep the text model under 'text_model.' (newer transformers flatten CLIPTextModel's own names)
    state |= {"cond_stage_model.transformer." + (k if k.startswith("text_model.") else "text_model." + k): v
              for k, v in text.state_dict().items()}
    ckpt = dest / "tiny-sd.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(ckpt))
    config = dest / "tiny-sd-config"
    shutil.copytree(Path(str(CONFIG)), config, dirs_exist_ok=True)
    for part in ("unet", "vae", "text_encoder"):
        (config / part / "config.json").write_text(json.dumps(TINY[part], indent=1))
    return ckpt, config
