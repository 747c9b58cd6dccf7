import type { PodSpec } from "./helm.ts";

/**
 * The checks of the Kubernetes Pod Security Standards, "baseline" and "restricted" levels, as the
 * PodSecurity admission controller applies them (latest version), plus the chart's own hardening:
 * read-only root filesystem with a writable /tmp emptyDir. Returns the violations, empty when
 * compliant.
 */
const allowedVolumeTypes = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
  "image",
]);
const baselineCapabilities = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

export function restrictedViolations(spec: PodSpec): string[] {
  const v: string[] = [];
  const podSc = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push("host namespaces");
  if (spec.hostUsers === true) v.push("hostUsers");
  for (const vol of spec.volumes ?? []) {
    const types = Object.keys(vol).filter((k) => k !== "name");
    for (const t of types) if (!allowedVolumeTypes.has(t)) v.push(`volume ${vol.name} type ${t}`);
  }
  if (podSc.sysctls?.length) v.push("sysctls");
  if (podSc.seLinuxOptions?.type || podSc.seLinuxOptions?.user || podSc.seLinuxOptions?.role) {
    v.push("pod seLinuxOptions");
  }
  if (podSc.runAsUser === 0) v.push("pod runAsUser 0");
  if (
    podSc.seccompProfile &&
    !["RuntimeDefault", "Localhost"].includes(podSc.seccompProfile.type)
  ) {
    v.push("pod seccompProfile");
  }
  if (podSc.appArmorProfile && podSc.appArmorProfile.type === "Unconfined") v.push("pod appArmor");
  const containers = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  if ((spec.containers ?? []).length === 0) v.push("no containers");
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) v.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation not false`);
    const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (runAsNonRoot !== true) v.push(`${at}: runAsNonRoot not true`);
    const uid = sc.runAsUser ?? podSc.runAsUser;
    if (uid === 0) v.push(`${at}: runAsUser 0`);
    // Images run as a numeric non-root user: kubelet can only verify runAsNonRoot for numeric ids.
    if (typeof uid !== "number" || uid < 1) v.push(`${at}: no numeric non-root runAsUser`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (!["RuntimeDefault", "Localhost"].includes(seccomp))
      v.push(`${at}: seccompProfile ${seccomp}`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes("ALL")) v.push(`${at}: capabilities not dropping ALL`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== "NET_BIND_SERVICE") v.push(`${at}: adds capability ${cap}`);
      if (!baselineCapabilities.has(cap)) v.push(`${at}: adds non-baseline capability ${cap}`);
    }
    if (sc.procMount && sc.procMount !== "Default") v.push(`${at}: procMount`);
    if (sc.windowsOptions?.hostProcess) v.push(`${at}: hostProcess`);
    if (sc.seLinuxOptions?.type || sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) {
      v.push(`${at}: seLinuxOptions`);
    }
    if (sc.appArmorProfile?.type === "Unconfined") v.push(`${at}: appArmor Unconfined`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at}: hostPort ${p.hostPort}`);
    // Beyond the standard: the chart's images must cope with an immutable root filesystem.
    if (sc.readOnlyRootFilesystem !== true) v.push(`${at}: readOnlyRootFilesystem not true`);
    const tmp = (c.volumeMounts ?? []).find((m: { mountPath: string }) => m.mountPath === "/tmp");
    const tmpVolume =
      tmp && (spec.volumes ?? []).find((vol: { name: string }) => vol.name === tmp.name);
    if (!tmpVolume?.emptyDir) v.push(`${at}: /tmp is not an emptyDir`);
  }
  return v;
}
