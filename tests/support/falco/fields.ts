/**
 * Field catalogues of the two Falco targets, as far as a PSP rules file can touch them.
 *
 * k8s_audit, current: k8saudit plugin v0.18.0 (every field is a string; `list` fields are
 * IsList; `index` fields take an optional numeric argument) plus the json plugin v0.7
 * (`json.*` and the `jevt.*` aliases). Source: falcosecurity/plugins k8saudit README field
 * table and pkg/k8saudit/extract.go, plugins/json/pkg/json/json.go.
 * k8s_audit, 0.27: falco@0.27.0 userspace/engine/json_evt.cpp (docs/falco.md §7.4).
 * syscall: the libsinsp fields a PSP rule file uses, plus the common ones around them; the
 * catalogue is not exhaustive, see README.md next to this file.
 */

/** How a field takes a `[...]` argument. */
export type ArgMode = "none" | "index" | "key-required";

/** One field of a catalogue. */
export interface FieldDef {
  name: string;
  /** IsList (current) / multi-valued (0.27). */
  list: boolean;
  arg: ArgMode;
}

function defs(names: string[], list: boolean, arg: ArgMode): FieldDef[] {
  return names.map((name) => ({ name, list, arg }));
}

const CONTAINER_SUBFIELDS = [
  "args",
  "command",
  "name",
  "image",
  "image.repository",
  "host_port",
  "privileged",
  "allow_privilege_escalation",
  "read_only_fs",
  "run_as_user",
  "eff_run_as_user",
  "run_as_group",
  "eff_run_as_group",
  "proc_mount",
  "add_capabilities",
];

/** The k8saudit 0.18.0 + json 0.7 fields (source k8s_audit, current Falco). */
export const K8S_AUDIT_FIELDS_CURRENT: FieldDef[] = [
  ...defs(
    [
      "ka.auditid",
      "ka.stage",
      "ka.auth.decision",
      "ka.auth.reason",
      "ka.auth.openshift.decision",
      "ka.auth.openshift.username",
      "ka.validations.admission.policy.failure",
      "ka.security.pod.violations",
      "ka.user.name",
      "ka.impuser.name",
      "ka.verb",
      "ka.uri",
      "ka.target.name",
      "ka.target.namespace",
      "ka.target.resource",
      "ka.target.subresource",
      "ka.target.pod.name",
      "ka.req.binding.role",
      "ka.req.configmap.name",
      "ka.req.configmap.obj",
      "ka.req.container.image",
      "ka.req.container.image.repository",
      "ka.req.pod.host_ipc",
      "ka.req.pod.host_network",
      "ka.req.container.host_network",
      "ka.req.pod.host_pid",
      "ka.req.container.privileged",
      "ka.req.pod.run_as_user",
      "ka.req.pod.run_as_group",
      "ka.req.pod.fs_group",
      "ka.req.service.type",
      "ka.resp.name",
      "ka.response.code",
      "ka.response.reason",
      "ka.useragent",
      "ka.cluster.name",
    ],
    false,
    "none",
  ),
  ...defs(
    ["ka.uri.param", "ka.req.binding.subject.has_name", "ka.req.volume.hostpath"],
    false,
    "key-required",
  ),
  ...defs(
    [
      "ka.user.groups",
      "ka.req.binding.subjects",
      "ka.req.binding.subjects.user_names",
      "ka.req.binding.subjects.serviceaccount_names",
      "ka.req.binding.subjects.serviceaccount_ns_names",
      "ka.req.binding.subjects.group_names",
      "ka.req.role.rules",
      "ka.req.pod.supplemental_groups",
    ],
    true,
    "none",
  ),
  ...defs(CONTAINER_SUBFIELDS.map((f) => `ka.req.pod.containers.${f}`), true, "index"),
  ...defs(CONTAINER_SUBFIELDS.map((f) => `ka.req.pod.initContainers.${f}`), true, "index"),
  ...defs(
    CONTAINER_SUBFIELDS.filter((f) => f !== "host_port").map((f) =>
      `ka.req.pod.ephemeralContainers.${f}`
    ),
    true,
    "index",
  ),
  ...defs(
    [
      "ka.req.role.rules.apiGroups",
      "ka.req.role.rules.nonResourceURLs",
      "ka.req.role.rules.verbs",
      "ka.req.role.rules.resources",
      "ka.req.service.ports",
      "ka.req.pod.volumes.hostpath",
      "ka.req.pod.volumes.flexvolume_driver",
      "ka.req.pod.volumes.volume_type",
      "ka.sourceips",
    ],
    true,
    "index",
  ),
  ...defs(["json.value", "jevt.value"], false, "key-required"),
  ...defs(["json.obj", "json.rawtime", "jevt.obj", "jevt.rawtime"], false, "none"),
];

/** Index modes of Falco 0.27's json filterchecks. */
export type IndexMode027 = "none" | "allowed-numeric" | "required-key" | "required-numeric";

/** One field of the Falco 0.27 k8s_audit engine. */
export interface FieldDef027 {
  name: string;
  idx: IndexMode027;
}

const K027 = (name: string, idx: IndexMode027 = "none"): FieldDef027 => ({ name, idx });

/** The Falco 0.27 built-in k8s_audit fields (json_evt.cpp) and jevt.* fields. */
export const K8S_AUDIT_FIELDS_027: FieldDef027[] = [
  K027("jevt.time"),
  K027("jevt.time.iso8601"),
  K027("jevt.rawtime"),
  K027("jevt.value", "required-key"),
  K027("jevt.obj"),
  ...[
    "ka.auditid",
    "ka.stage",
    "ka.auth.decision",
    "ka.auth.reason",
    "ka.user.name",
    "ka.user.groups",
    "ka.impuser.name",
    "ka.verb",
    "ka.uri",
    "ka.target.name",
    "ka.target.namespace",
    "ka.target.resource",
    "ka.target.subresource",
    "ka.req.binding.subjects",
    "ka.req.binding.role",
    "ka.req.configmap.name",
    "ka.req.configmap.obj",
    "ka.req.pod.host_ipc",
    "ka.req.pod.host_network",
    "ka.req.pod.host_pid",
    "ka.req.container.host_network",
    "ka.req.pod.run_as_user",
    "ka.req.pod.run_as_group",
    "ka.req.role.rules",
    "ka.req.pod.fs_group",
    "ka.req.pod.supplemental_groups",
    "ka.req.service.type",
    "ka.resp.name",
    "ka.response.code",
    "ka.response.reason",
    "ka.useragent",
  ].map((n) => K027(n)),
  ...[
    "ka.req.pod.containers.image",
    "ka.req.pod.containers.image.repository",
    "ka.req.container.image",
    "ka.req.container.image.repository",
    "ka.req.container.privileged",
    "ka.req.pod.containers.host_port",
    "ka.req.pod.containers.privileged",
    "ka.req.pod.containers.allow_privilege_escalation",
    "ka.req.pod.containers.read_only_fs",
    "ka.req.pod.containers.run_as_user",
    "ka.req.pod.containers.eff_run_as_user",
    "ka.req.pod.containers.run_as_group",
    "ka.req.pod.containers.eff_run_as_group",
    "ka.req.pod.containers.proc_mount",
    "ka.req.role.rules.apiGroups",
    "ka.req.role.rules.nonResourceURLs",
    "ka.req.role.rules.verbs",
    "ka.req.role.rules.resources",
    "ka.req.pod.containers.add_capabilities",
    "ka.req.service.ports",
    "ka.req.pod.volumes.hostpath",
    "ka.req.pod.volumes.flexvolume_driver",
    "ka.req.pod.volumes.volume_type",
  ].map((n) => K027(n, "allowed-numeric")),
  K027("ka.uri.param", "required-key"),
  K027("ka.req.volume.hostpath", "required-key"),
  K027("ka.req.binding.subject.has_name", "required-key"),
];

/** Generic event fields libsinsp offers for plugin sources (current Falco). */
export const PLUGIN_GENERIC_FIELDS_CURRENT = [
  "evt.num",
  "evt.time",
  "evt.time.s",
  "evt.time.iso8601",
  "evt.datetime",
  "evt.datetime.s",
  "evt.rawtime",
  "evt.rawtime.s",
  "evt.rawtime.ns",
  "evt.reltime",
  "evt.reltime.s",
  "evt.reltime.ns",
  "evt.pluginname",
  "evt.plugininfo",
  "evt.source",
  "evt.is_async",
  "evt.asynctype",
  "evt.hostname",
];

/**
 * Syscall-source fields (libsinsp, and the container plugin on 0.41+), by name. Fields
 * that take an argument are listed in SYSCALL_ARG_FIELDS.
 */
export const SYSCALL_FIELDS = new Set<string>([
  // evt
  "evt.num",
  "evt.time",
  "evt.time.s",
  "evt.time.iso8601",
  "evt.datetime",
  "evt.datetime.s",
  "evt.rawtime",
  "evt.rawtime.s",
  "evt.rawtime.ns",
  "evt.reltime",
  "evt.deltatime",
  "evt.dir",
  "evt.type",
  "evt.type.is",
  "syscall.type",
  "evt.category",
  "evt.cpu",
  "evt.args",
  "evt.info",
  "evt.buffer",
  "evt.buflen",
  "evt.res",
  "evt.rawres",
  "evt.failed",
  "evt.is_io",
  "evt.is_io_read",
  "evt.is_io_write",
  "evt.io_dir",
  "evt.is_wait",
  "evt.wait_latency",
  "evt.is_syslog",
  "evt.count",
  "evt.count.error",
  "evt.around",
  "evt.abspath",
  "evt.is_open_read",
  "evt.is_open_write",
  "evt.is_open_exec",
  "evt.is_open_create",
  "evt.hostname",
  "evt.source",
  "evt.pluginname",
  "evt.is_async",
  "evt.asynctype",
  // proc / thread
  "proc.exe",
  "proc.pexe",
  "proc.exepath",
  "proc.pexepath",
  "proc.name",
  "proc.pname",
  "proc.args",
  "proc.cmdline",
  "proc.pcmdline",
  "proc.cmdnargs",
  "proc.cmdlenargs",
  "proc.exeline",
  "proc.env",
  "proc.cwd",
  "proc.loginshellid",
  "proc.tty",
  "proc.pid",
  "proc.ppid",
  "proc.vpid",
  "proc.pvpid",
  "proc.sid",
  "proc.sname",
  "proc.sid.exe",
  "proc.sid.exepath",
  "proc.vpgid",
  "proc.vpgid.name",
  "proc.vpgid.exe",
  "proc.vpgid.exepath",
  "proc.duration",
  "proc.fdopencount",
  "proc.is_exe_writable",
  "proc.is_exe_upper_layer",
  "proc.is_exe_from_memfd",
  "proc.is_sid_leader",
  "proc.is_vpgid_leader",
  "proc.is_container_healthcheck",
  "proc.is_container_liveness_probe",
  "proc.is_container_readiness_probe",
  "proc.exe_ino",
  "proc.stdin.type",
  "proc.stdout.type",
  "proc.stderr.type",
  "thread.tid",
  "thread.vtid",
  "thread.ismain",
  "thread.cap_permitted",
  "thread.cap_inheritable",
  "thread.cap_effective",
  // user / group
  "user.uid",
  "user.name",
  "user.homedir",
  "user.shell",
  "user.loginuid",
  "user.loginname",
  "group.gid",
  "group.name",
  // fd
  "fd.num",
  "fd.type",
  "fd.typechar",
  "fd.name",
  "fd.directory",
  "fd.filename",
  "fd.ip",
  "fd.cip",
  "fd.sip",
  "fd.lip",
  "fd.rip",
  "fd.port",
  "fd.cport",
  "fd.sport",
  "fd.lport",
  "fd.rport",
  "fd.l4proto",
  "fd.sockfamily",
  "fd.is_server",
  "fd.uid",
  "fd.containername",
  "fd.containerdirectory",
  "fd.proto",
  "fd.name_changed",
  "fd.cip.name",
  "fd.sip.name",
  "fd.lip.name",
  "fd.rip.name",
  "fd.dev",
  "fd.ino",
  "fd.nameraw",
  "fs.path.name",
  "fs.path.nameraw",
  "fs.path.source",
  "fs.path.sourceraw",
  "fs.path.target",
  "fs.path.targetraw",
  // container (libsinsp before 0.41, container plugin after)
  "container.id",
  "container.full_id",
  "container.name",
  "container.image",
  "container.image.id",
  "container.type",
  "container.privileged",
  "container.mounts",
  "container.mount.source",
  "container.mount.dest",
  "container.mount.mode",
  "container.mount.rdwr",
  "container.mount.propagation",
  "container.image.repository",
  "container.image.tag",
  "container.image.digest",
  "container.healthcheck",
  "container.liveness_probe",
  "container.readiness_probe",
  "container.start_ts",
  "container.duration",
  "container.ip",
  "container.cni.json",
  "container.host_pid",
  "container.host_network",
  "container.host_ipc",
  "container.label",
  "container.labels",
  "container.info",
  // k8s metadata
  "k8s.pod.name",
  "k8s.pod.id",
  "k8s.pod.uid",
  "k8s.pod.sandbox_id",
  "k8s.pod.full_sandbox_id",
  "k8s.pod.label",
  "k8s.pod.labels",
  "k8s.pod.ip",
  "k8s.pod.cni.json",
  "k8s.ns.name",
]);

/** Syscall fields that take (or may take) an argument. */
export const SYSCALL_ARG_FIELDS = new Set<string>([
  "evt.arg",
  "evt.rawarg",
  "proc.aname",
  "proc.aexe",
  "proc.aexepath",
  "proc.apid",
  "proc.args",
  "proc.env",
  "container.mount",
  "container.mount.source",
  "container.mount.dest",
  "container.mount.mode",
  "container.mount.rdwr",
  "container.mount.propagation",
  "container.label",
  "k8s.pod.label",
  "fd.types",
  "fd.cip.name",
  "evt.type.is",
]);

/** Event/syscall names a syscall rule may compare `evt.type` with (subset of the libs tables). */
export const SYSCALL_EVENT_NAMES = new Set<string>(
  (
    "open openat openat2 creat execve execveat setuid setgid setresuid setresgid setreuid setregid " +
    "clone clone3 fork vfork container connect accept accept4 bind listen socket sendto recvfrom " +
    "read write pread pwrite readv writev close dup dup2 dup3 mkdir mkdirat rmdir unlink unlinkat " +
    "rename renameat renameat2 link linkat symlink symlinkat chmod fchmod fchmodat chown fchown " +
    "fchownat lchown mount umount umount2 ptrace kill tkill tgkill init_module finit_module " +
    "delete_module capset setns unshare prctl mmap mprotect memfd_create userfaultfd chroot " +
    "procexit pluginevent sendmsg recvmsg pipe pipe2 ioctl fcntl bpf seccomp"
  ).split(" "),
);
