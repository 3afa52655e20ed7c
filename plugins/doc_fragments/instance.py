# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of lxd_instance, shared with lxd_container (community.general's name for it).
    DOCUMENTATION = r"""
options:
  name:
    description: Name of the instance (1 to 63 letters, digits and dashes, starting with a letter).
    type: str
    required: true
  type:
    description: Instance type, used when creating it.
    type: str
    choices: [container, virtual-machine]
    default: container
  source:
    description:
      - What to create the instance from, when it does not exist (only then).
      - As text, an image; a local alias or fingerprint, or an alias on O(source_server).
      - As a dict, community.general's form (LXD's instance source). C(type=image) with
        C(alias) or C(fingerprint), from the local image store, or from C(server) (an image
        server, LXD downloads from it; C(protocol) V(lxd) (LXD's default) or V(simplestreams);
        C(mode) only V(pull); C(certificate), C(secret) for a private server).
        C(type=copy) with C(source) (V(web01) or V(web01/snap0)) and C(instance_only), as
        O(source_instance). C(type=none) makes an empty instance (no root file system; a
        container to fill yourself, which cannot start until then, so it needs O(state=stopped)
        or O(state=present); a virtual machine to install from an ISO).
        Without C(type), C(alias) or C(fingerprint) mean V(image) and C(source) means V(copy).
        Other types and keys are refused, naming them; C(type=migration) is done by
        M(lxdkit.lxd.lxd_instance_migration).
      - When LXD cannot get the image from C(server) (or O(source_server)), the task fails
        naming that option and LXD's reason; nothing is created.
    type: raw
  source_server:
    description:
      - Image server to take O(source) (as text) from (V(https://images.example.com)); default
        the local image store. With O(source) as a dict, use C(source.server).
    type: str
  source_protocol:
    description: Protocol of O(source_server) (with O(source) as a dict, C(source.protocol)).
    type: str
    choices: [simplestreams, lxd]
    default: simplestreams
  source_instance:
    description:
      - Create the instance as a copy of this instance (V(web01)) or snapshot (V(web01/snap0)),
        as C(lxc copy) does. Mutually exclusive with O(source).
    type: str
  instance_only:
    description: With O(source_instance) naming an instance, copy it without its snapshots.
    type: bool
    default: false
  profiles:
    description:
      - Profiles in the order LXD applies them (later ones win); a different order is a change.
        Not managed when not given (LXD gives a new instance the V(default) profile).
    type: list
    elements: str
  config:
    description:
      - Instance config keys (C(limits.cpu), C(boot.autostart), C(snapshots.schedule), ...).
        Numbers and booleans are converted to the strings LXD wants. Not managed when not given.
      - The guest API keys may be given in either server's spelling, LXD's C(security.devlxd) and
        C(security.devlxd.images) or Incus's C(security.guestapi) and C(security.guestapi.images);
        they are written in the spelling of the server the task talks to, so one task serves both.
    type: dict
  devices:
    description: Instance devices by name; each needs C(type). Not managed when not given.
    type: dict
  merge_config:
    description:
      - V(false) makes O(config) and O(devices) the whole truth (apart from the keys LXD
        manages); V(true) keeps keys and devices that are not listed.
      - When not given, V(false) as C(lxdkit.lxd.lxd_instance); as C(lxdkit.lxd.lxd_container)
        the task does what community.general.lxd_container does, so playbooks written for it keep
        their meaning after the collection name changes - O(config) keys not listed are kept,
        O(devices) is the whole truth.
    type: bool
  description:
    description: Description of the instance. Not managed when not given.
    type: str
  ephemeral:
    description: Whether LXD deletes the instance when it stops. Not managed when not given.
    type: bool
  state:
    description:
      - V(started), V(stopped), V(frozen) or V(absent); V(present) makes the instance exist as
        declared and leaves its power state alone (a new one stays stopped).
      - V(restarted) is an action; it restarts a running instance (starts a stopped one) at every run.
      - Stopping an ephemeral instance makes LXD delete it; RV(instance) is then null.
    type: str
    choices: [started, stopped, restarted, frozen, present, absent]
    default: started
  force_stop:
    description: Kill the instance instead of a clean shutdown when stopping, restarting or deleting it.
    type: bool
    default: false
  restart_on_change:
    description:
      - Restart a running instance when a change only takes effect at the next start (see RV(needs_restart)).
        Keys LXD applies live (C(user.*), C(limits.cpu), C(limits.memory), C(snapshots.*), ...) never restart it.
    type: bool
    default: false
  wait_for_ipv4:
    description:
      - After starting, wait until the instance's network interfaces have a global IPv4 address.
      - C(wait_for_ipv4_addresses) is community.general's name for it.
    type: bool
    default: false
    aliases: [wait_for_ipv4_addresses]
  wait_for_ipv4_interfaces:
    description: With O(wait_for_ipv4), wait only for these interfaces (default all but C(lo)).
    type: list
    elements: str
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_ipv4) and for a clean stop (LXD's state-change timeout);
        community.general.lxd_container calls this C(timeout).
      - Default V(60); when not given but O(timeout) is (other than V(30)), O(timeout)'s value
        with a warning (see the description above).
      - Not O(timeout), which is the wait for each answer from LXD.
    type: int
  wait_for_container:
    description:
      - community.general's option to wait until LXD's operations have finished. This module
        always waits for them, so V(true) is what happens anyway; V(false) cannot apply and warns.
    type: bool
  ignore_volatile_options:
    description:
      - community.general's option; here LXD's own C(volatile.*) keys are never a change and
        are kept, whatever its value (community.general's V(true)).
      - C(volatile.*) keys given in O(config) are set when LXD has another value (community.general's
        V(false)); with V(true), community.general sets them again at every run, this module
        does not, and warns.
    type: bool
  architecture:
    description:
      - Architecture of a new instance (V(x86_64), V(aarch64); LXD also takes V(amd64),
        V(arm64)...). Default the image's.
      - LXD does not change the architecture of an existing instance; a different one fails,
        naming both, and changes nothing.
    type: str
  new_name:
    description:
      - Rename the instance.
      - When O(name) is gone and O(new_name) exists, the rename counts as done, so a rerun changes
        nothing; when both exist, or neither, the task fails and changes nothing (give O(name) to
        create an instance).
      - LXD renames only stopped instances; a running or frozen one is stopped first when
        O(state=stopped) or O(restart_for_rename=true), otherwise the task fails without
        changing anything.
    type: str
  restart_for_rename:
    description:
      - Allow O(new_name) to stop a running or frozen instance, rename it and bring it back to
        O(state) (with O(state=present), to the state it was in). An ephemeral instance is
        still refused (LXD deletes it when it stops).
    type: bool
    default: false
  target:
    description:
      - Cluster member to create the instance on.
      - An existing instance on another member is moved there (LXD moves only stopped instances;
        a running or frozen one is stopped, moved and started again only when O(restart_on_change=true),
        otherwise the task fails without changing anything).
      - A standalone LXD refuses O(target).
    type: str
"""
