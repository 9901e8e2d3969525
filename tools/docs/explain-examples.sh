#!/usr/bin/env bash
# Regenerates the example pictures in docs/explain/ from a trained MNIST DCGAN run: one picture per
# attribution method (class-7 logit, one latent sample), KernelSHAP on two generated images with 7×7
# patches, SeFa and GANSpace traversals, latent-to-pixel influence, feature maps and Grad-CAM.
# Usage: tools/docs/explain-examples.sh [RUN]   (default: demo-out/mnist-dcgan, written by ./genaudit demo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="${1:-demo-out/mnist-dcgan}"
out="$here/docs/explain"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ga() { "$here/genaudit" "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log"; exit 1; }; }

mkdir -p "$out"
for method in saliency inputxgrad ig smoothgrad gradshap occlusion ablation kernelshap lime; do
  ga explain --run "$run" --method "$method" --target class:7 -n 1 --seed 4 --out "$work/$method"
  cp "$work/$method/example-000.png" "$out/$method.png"
done
ga generate --run "$run" -n 2 --seed 5 --out "$work/images.npy"
ga explain --run "$run" --method kernelshap --target class:7 --input "$work/images.npy" --mask patch:7 --samples 512 --out "$work/images"
cp "$work/images/heatmaps.png" "$out/kernelshap-image-heatmaps.png"
ga latents --run "$run" --method sefa -k 6 -n 500 --influence-n 8 --activations net.6 --gradcam disc --out "$work/sefa"
cp "$work/sefa/traversal-sefa.png" "$out/latents-traversal-sefa.png"
cp "$work/sefa/influence.png" "$out/latents-influence.png"
cp "$work/sefa/activations-net-6.png" "$out/activations.png"
cp "$work/sefa/gradcam-disc.png" "$out/gradcam-disc.png"
ga latents --run "$run" --method ganspace -k 6 -n 1000 --out "$work/ganspace"
cp "$work/ganspace/traversal-ganspace.png" "$out/latents-traversal-ganspace.png"
echo "wrote $(ls "$out" | wc -l) pictures to $out from $run"
