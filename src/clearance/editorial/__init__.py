"""Editorial: read a locked cut (OpenTimelineIO and its adapters), list its events with record
timecodes, resolve each event to media files, and join them with provenance and the register
into a GenAI cue sheet."""
