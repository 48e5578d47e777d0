# For ~/.profile (or /etc/profile.d/): on an interactive login that is not
# already inside a session, offer the disconnected sessions, else start a
# new one. `exec` makes the login shell's end the session's end, as with
# Bernstein's pty: log out by ending (or disconnecting) the session.
case $- in
*i*)
    if [ -z "$PTY" ] && [ -t 0 ] && command -v sessmenu >/dev/null 2>&1; then
        exec sessmenu
    fi
    ;;
esac
