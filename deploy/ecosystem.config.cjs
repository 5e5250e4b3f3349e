// pm2 ecosystem file: `pm2 start deploy/ecosystem.config.cjs` from the repository root (after `npm run build`).
// Logs: pm2 writes out/error files (paths below); rotate them with `pm2 install pm2-logrotate`.
module.exports = {
  apps: [
    {
      name: "quorum",
      script: "dist/quorum",
      args: "validator",
      interpreter: "none",
      cwd: __dirname + "/..",
      autorestart: true,
      restart_delay: 10000,
      kill_timeout: 30000,
      max_restarts: 20,
      out_file: "logs/quorum.out.log",
      error_file: "logs/quorum.err.log",
      merge_logs: true,
      time: true,
      env: {
        QUORUM_MODE: "live",
        LOG_FORMAT: "json"
      }
    }
  ]
}
