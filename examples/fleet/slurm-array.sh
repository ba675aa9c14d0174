#!/bin/bash
# A fleet of rg-schema workers as a SLURM job array: one worker per array task, all sharing the
# jobs tables on one database server. An example, not tested against a real cluster: adapt the
# partition, limits and paths to your site.
#
#   sbatch examples/fleet/slurm-array.sh
#
#SBATCH --job-name=rg-worker
#SBATCH --array=0-31%16            # 32 workers, at most 16 at once
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@300        # SIGTERM 5 minutes before the limit: the worker finishes its key and exits
#SBATCH --output=logs/rg-worker-%A_%a.jsonl

set -euo pipefail
cd "${SLURM_SUBMIT_DIR}"

# The server, and the password from a file only you can read (never on the command line).
export RG_DB_URL="mysql://${USER}@db.lab.example:3306"
RG_DB_PASSWORD="$(cat "${HOME}/.rg-db-password")"
export RG_DB_PASSWORD
# A worker silent for 2 minutes (node lost, network cut) has its keys given back.
export RG_WORKER_STALE_AFTER=120

# exec: the worker is the batch step's process, so it receives SLURM's SIGTERM itself.
exec npx rg-pipeline worker --until-done --max-time 14000 --json
