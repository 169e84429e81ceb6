#!/usr/bin/env bash
# Makes a Debian trixie base image from Debian's own packages with debootstrap, for hosts
# that reach a Debian mirror but no container registry. Tags it localhost/ser-base:trixie.
#   deploy/image/make_base.sh [mirror]     (root; needs debootstrap and podman or buildah)
set -euo pipefail
MIRROR="${1:-http://deb.debian.org/debian}"
TAG="${SER_BASE_TAG:-localhost/ser-base:trixie}"
ROOTFS="$(mktemp -d /tmp/ser-base-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

# minbase: essential + apt; the Dockerfile adds nodejs and tini from the same mirror.
debootstrap --variant=minbase --include=ca-certificates trixie "$ROOTFS" "$MIRROR"
cat >"$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR trixie main
deb $MIRROR trixie-updates main
SOURCES
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin
if command -v podman >/dev/null 2>&1; then
  tar -C "$ROOTFS" -c . | podman import --change 'CMD ["/bin/bash"]' - "$TAG"
else
  ctr="$(buildah from scratch)"
  mnt="$(buildah mount "$ctr")"
  cp -a "$ROOTFS"/. "$mnt"/
  buildah umount "$ctr"
  buildah config --cmd /bin/bash "$ctr"
  buildah commit "$ctr" "$TAG"
  buildah rm "$ctr"
fi
echo "$TAG"
