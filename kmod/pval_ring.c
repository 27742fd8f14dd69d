// SPDX-License-Identifier: GPL-2.0
/*
 * pval: per-CPU rings of packet copies and their character devices.
 *
 * Ring.  One single-producer single-consumer ring per link, direction and
 * possible CPU.  The producer is the datapath of that CPU (xmit or the rx
 * handler, BH disabled, so never two at once); the consumer is whichever
 * task reads the device.  head is written only by the producer, tail only by
 * the consumer, both free-running u32 indexes masked by nslots - 1:
 *
 *   producer: tail = load_acquire(tail); fill slot[head]; store_release(head)
 *   consumer: head = load_acquire(head); copy slots [tail, head),
 *             store_release(tail) after every PVAL_RING_RELEASE_BATCH
 *             slots and at the end
 *
 * The acquire of head orders the consumer's reads of a slot after the
 * producer's writes to it; the acquire of tail orders the producer's reuse
 * of a slot after the consumer has copied it out.
 *
 * Wakeups are batched.  A copy wakes a sleeping reader at once when the ring
 * holds wake_batch slots (256, capped at half the ring; a reader may ask for
 * another threshold for its own file, PVAL_IOC_SET_WAKE_SLOTS); below that it arms
 * a per-ring timer that wakes the reader wake_usecs later, rounded up to
 * whole jiffies (8 ms by default: 2 ticks with HZ=250).  So a lone packet
 * waits at most that long, and a busy ring costs one wakeup per batch or
 * per timer period, not one per packet.  The timer is a timer_list, not an
 * hrtimer: it fires from the tick that a busy CPU takes anyway, so arming
 * it never reprograms the clock event device and firing it costs no
 * interrupt of its own.
 *
 * At most one wakeup is outstanding per reader cycle.  The producer sets
 * wake_pending when it wakes the reader (or when the timer does) and then
 * leaves the reader alone; the reader clears it each time it is about to
 * sleep or report the ring's state (poll(); read() never sleeps), before it
 * looks at head.  So an epoll reader, whose wait queue entry stays
 * registered while it runs, costs one wakeup per poll, not one per copy.
 * No wakeup is lost: the producer publishes head, issues a full barrier and
 * then reads wake_pending and the wait queue; the reader clears wake_pending
 * (after queueing itself in poll_wait()), issues a full barrier and then
 * reads head.  Either the producer sees the cleared flag
 * and wakes, or the reader sees the new slot and does not sleep.
 *
 * Devices.  A char region of max_devices minors of our own (65536 unless
 * set at load time; not the misc pool: 6.1 has only 128 dynamic misc minors
 * for the whole system, less than one link on a 64-CPU machine) and a "pval" class whose devnode puts
 * the nodes in /dev/pval with mode 0600.  open() finds the ring from the
 * minor, checks that the inode's cdev is the ring's own, and takes a
 * reference on the link's rings; no file name is ever parsed.  Device names
 * are global while interface names are per namespace, so creation and
 * rename refuse a name that a link of another namespace already uses.
 *
 * Lifetime.  struct pval_rings is refcounted: one reference for the link,
 * one per open file.  Destroy marks the rings dead, removes the devices and
 * wakes every reader; the last put frees the memory after an RCU grace
 * period, from a workqueue, once no datapath can still hold the pointer.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/u64_stats_sync.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <uapi/linux/pval.h>

#include "pval_compat.h"
#include "pval_ring.h"

/* Size of our char region by default: 2 devices per possible CPU and link. */
#define PVAL_RING_MINORS	(1U << 16)

#define PVAL_SLOT_SIZE		sizeof(struct pval_slot)

static unsigned int ring_slots = PVAL_RING_SLOTS_DEFAULT;
module_param(ring_slots, uint, 0644);
MODULE_PARM_DESC(ring_slots,
		 "Default slots per ring when IFLA_PVAL_RING_SLOTS is absent (power of two, "
		 __stringify(PVAL_RING_SLOTS_MIN) ".." __stringify(PVAL_RING_SLOTS_MAX) ")");

static unsigned int max_devices = PVAL_RING_MINORS;
module_param(max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices,
		 "Character devices (minors) for all links, 2 per possible CPU and link (2..1048575, default "
		 __stringify(PVAL_RING_MINORS) ")");

/* Slots a read copies before it hands them back to the producer. */
#define PVAL_RING_RELEASE_BATCH	32

static unsigned int wake_batch = 256;
module_param(wake_batch, uint, 0644);
MODULE_PARM_DESC(wake_batch,
		 "Wake a sleeping reader at once when this many slots are waiting (capped at half the ring)");

static unsigned int wake_usecs = 8000;
module_param(wake_usecs, uint, 0644);
MODULE_PARM_DESC(wake_usecs,
		 "Wake a sleeping reader at most this many microseconds after a copy, rounded up to whole jiffies (0: at once)");

struct pval_ring {
	/* Producer side: written only on this ring's CPU. */
	u32			head ____cacheline_aligned_in_smp;
	bool			wake_pending;	/* also cleared by the reader */
	struct u64_stats_sync	psync;
	u64_stats_t		copied;
	u64_stats_t		dropped_full;
	u64_stats_t		dropped_nomem;
	struct timer_list	timer;		/* pinned to this ring's CPU */

	/* Consumer side: written by the reader, under read_lock. */
	u32			tail ____cacheline_aligned_in_smp;
	struct u64_stats_sync	csync;
	u64_stats_t		read;

	/* Shared, written at open/close only (wake_slots also by its ioctl). */
	struct pval_slot	*slots ____cacheline_aligned_in_smp;
	u32			mask;
	u32			wake_slots;	/* the reader's threshold, 0: wake_batch */
	int			active;		/* a reader wants copies */
	unsigned long		busy;		/* bit 0: held by a reader */
	struct mutex		read_lock;	/* threads sharing one open file */
	wait_queue_head_t	wait;

	struct pval_rings	*rings;
	enum pval_dir		dir;
	unsigned int		cpu;
	dev_t			devt;
	struct cdev		*cdev;
	struct device		*dev;
};

struct pval_rings {
	struct list_head	node;		/* pval_rings_list */
	struct kref		ref;
	struct rcu_work		free_work;
	bool			dead;
	u32			nslots;
	char			ifname[IFNAMSIZ];
	struct pval_ring	**ring[2];	/* [dir][cpu], possible CPUs */
};

static const char *const pval_dir_name[] = {
	[PVAL_DIR_TX] = "tx",
	[PVAL_DIR_RX] = "rx",
};

/* Serialises creation, rename, destroy and open. */
static DEFINE_MUTEX(pval_rings_lock);
static LIST_HEAD(pval_rings_list);
static DEFINE_XARRAY(pval_ring_minors);	/* minor -> struct pval_ring */
static DEFINE_IDA(pval_ring_ida);
static dev_t pval_ring_devt;
static struct workqueue_struct *pval_ring_wq;

#define pval_for_each_ring(rings, ring, dir, cpu)			\
	for ((dir) = PVAL_DIR_TX; (dir) <= PVAL_DIR_RX; (dir)++)	\
		for_each_possible_cpu(cpu)				\
			if (((ring) = (rings)->ring[dir][cpu]))

static char *pval_ring_devnode(pval_devnode_device_t *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, PVAL_DEV_DIR "/%s", dev_name(dev));
}

static struct class pval_ring_class = {
	.name		= "pval",
	.devnode	= pval_ring_devnode,
};

/* Datapath. */

static void pval_ring_wake_now(struct pval_ring *ring)
{
	WRITE_ONCE(ring->wake_pending, true);
	wake_up_interruptible_poll(&ring->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * The fill at which a copy wakes a sleeping reader at once: the reader's
 * own threshold or wake_batch, capped at half the ring; 0 (wake_usecs=0 or
 * wake_batch=0) on every copy.
 */
static u32 pval_ring_wake_fill(const struct pval_ring *ring)
{
	u32 batch = READ_ONCE(ring->wake_slots) ?: READ_ONCE(wake_batch);

	if (!READ_ONCE(wake_usecs))
		return 0;
	return min(batch, (ring->mask + 1) / 2);
}

/* After a copy that left @fill slots in the ring. */
static void pval_ring_wake(struct pval_ring *ring, u32 fill)
{
	unsigned int usecs;

	/* head is visible before we look at the reader's state; pairs with
	 * the barrier in pval_ring_reader_rearm().
	 */
	smp_mb();
	if (READ_ONCE(ring->wake_pending) || !waitqueue_active(&ring->wait))
		return;

	if (fill >= pval_ring_wake_fill(ring)) {
		pval_ring_wake_now(ring);
		return;
	}

	/* The timer runs on this CPU in softirq context, never concurrently
	 * with the producer, so timer_pending() needs no lock here.
	 */
	usecs = READ_ONCE(wake_usecs);
	if (!timer_pending(&ring->timer)) {
		ring->timer.expires = jiffies + usecs_to_jiffies(usecs);
		add_timer(&ring->timer);
	}
}

static void pval_ring_timer(struct timer_list *timer)
{
	struct pval_ring *ring = timer_container_of(ring, timer, timer);

	/* Wake only for slots the reader has not been told about; a stale
	 * tail can only make the ring look fuller (a harmless extra wakeup).
	 */
	smp_mb();
	if (!READ_ONCE(ring->wake_pending) && ring->head != READ_ONCE(ring->tail))
		pval_ring_wake_now(ring);
}

static __always_inline void pval_ring_copy_piece(u8 **dst, const u8 **src, unsigned int n)
{
	memcpy(*dst, *src, n);
	*dst += n;
	*src += n;
}

/*
 * Copy the first bytes of a frame into a slot.  Constant-size pieces, which
 * the compiler turns into plain moves: memcpy() of a variable length uses
 * rep movsb on CPUs with ERMS, which emulators (QEMU TCG) execute byte by
 * byte.
 */
static void pval_ring_copy_pkt(u8 *dst, const u8 *src, unsigned int len)
{
	for (; len >= 32; len -= 32)
		pval_ring_copy_piece(&dst, &src, 32);
	if (len & 16)
		pval_ring_copy_piece(&dst, &src, 16);
	if (len & 8)
		pval_ring_copy_piece(&dst, &src, 8);
	if (len & 4)
		pval_ring_copy_piece(&dst, &src, 4);
	if (len & 2)
		pval_ring_copy_piece(&dst, &src, 2);
	if (len & 1)
		*dst = *src;
}

bool pval_rings_copy(struct pval_rings *rings, enum pval_dir dir,
		     const struct sk_buff *skb, u64 tstamp, bool swtstamp)
{
	struct pval_ring *ring;
	struct pval_slot *slot;
	u32 head, tail, len;
	int offset;

	if (unlikely(!rings || READ_ONCE(rings->dead)))
		return false;
	ring = rings->ring[dir][smp_processor_id()];
	/* Pairs with the release in open: slots and the flushed tail are set. */
	if (!smp_load_acquire(&ring->active))
		return false;

	head = ring->head;
	tail = smp_load_acquire(&ring->tail);
	if (unlikely(head - tail > ring->mask)) {
		u64_stats_update_begin(&ring->psync);
		u64_stats_inc(&ring->dropped_full);
		u64_stats_update_end(&ring->psync);
		return false;
	}

	/* From the Ethernet header: before skb->data on receive. */
	offset = skb_mac_header_was_set(skb) ? skb_mac_offset(skb) : 0;
	slot = &ring->slots[head & ring->mask];
	slot->pktlen = skb->len - offset;
	len = min_t(u32, slot->pktlen, PVAL_SLOT_PKT_SIZE);
	if (likely(offset + (int)len <= (int)skb_headlen(skb))) {
		pval_ring_copy_pkt(slot->pkt, skb->data + offset, len);
	} else if (unlikely(skb_copy_bits(skb, offset, slot->pkt, len))) {
		/* Not a frame we can read: lost like a failed allocation. */
		u64_stats_update_begin(&ring->psync);
		u64_stats_inc(&ring->dropped_nomem);
		u64_stats_update_end(&ring->psync);
		return false;
	}
	slot->len = len;
	/* RX copies come after GRO: a merged packet stands for several. */
	slot->gso_segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 0;
	if (!tstamp && swtstamp)
		tstamp = ktime_get_real_ns();
	slot->tstamp = tstamp;

	smp_store_release(&ring->head, head + 1);
	u64_stats_update_begin(&ring->psync);
	u64_stats_inc(&ring->copied);
	u64_stats_update_end(&ring->psync);

	pval_ring_wake(ring, head + 1 - tail);
	return true;
}

/* Statistics. */

static void pval_ring_stats(struct pval_ring *ring, struct pval_ring_stats *st)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&ring->psync);
		st->copied = u64_stats_read(&ring->copied);
		st->dropped_full = u64_stats_read(&ring->dropped_full);
		st->dropped_nomem = u64_stats_read(&ring->dropped_nomem);
	} while (u64_stats_fetch_retry(&ring->psync, start));
	do {
		start = u64_stats_fetch_begin(&ring->csync);
		st->read = u64_stats_read(&ring->read);
	} while (u64_stats_fetch_retry(&ring->csync, start));
}

u64 pval_rings_drops(struct pval_rings *rings, enum pval_dir dir)
{
	struct pval_ring_stats st;
	unsigned int cpu;
	u64 drops = 0;

	for_each_possible_cpu(cpu) {
		pval_ring_stats(rings->ring[dir][cpu], &st);
		drops += st.dropped_full + st.dropped_nomem;
	}
	return drops;
}

u32 pval_rings_nslots(const struct pval_rings *rings)
{
	return rings->nslots;
}

/* File operations. */

static bool pval_ring_empty(struct pval_ring *ring)
{
	return smp_load_acquire(&ring->head) == READ_ONCE(ring->tail);
}

/*
 * The reader, queued on ring->wait, is about to sleep or to report the
 * ring's state: from now on the producer must wake it again.  Call before
 * looking at head.
 */
static void pval_ring_reader_rearm(struct pval_ring *ring)
{
	WRITE_ONCE(ring->wake_pending, false);
	/* Pairs with the barrier in pval_ring_wake(). */
	smp_mb();
}

static void pval_rings_put(struct pval_rings *rings);

static int pval_ring_open(struct inode *inode, struct file *file)
{
	struct pval_slot *slots;
	struct pval_ring *ring;
	int err;

	/*
	 * The rings hold what a packet socket would see: ask for what a
	 * packet socket needs, whatever the mode of the node says.
	 */
	if (!capable(CAP_NET_RAW))
		return -EPERM;

	mutex_lock(&pval_rings_lock);
	ring = xa_load(&pval_ring_minors, iminor(inode));
	if (!ring || ring->cdev != inode->i_cdev || READ_ONCE(ring->rings->dead)) {
		err = -ENODEV;
		goto out_unlock;
	}
	if (test_and_set_bit_lock(0, &ring->busy)) {
		err = -EBUSY;
		goto out_unlock;
	}
	kref_get(&ring->rings->ref);
	mutex_unlock(&pval_rings_lock);

	/* The slots are allocated by the first reader and kept until the
	 * link goes: a link nobody reads costs no slot memory.
	 */
	if (!ring->slots) {
		slots = kvcalloc(ring->mask + 1, PVAL_SLOT_SIZE, GFP_KERNEL_ACCOUNT);
		if (!slots) {
			err = -ENOMEM;
			goto out_release;
		}
		ring->slots = slots;
	}

	/* Flush: only copies made while this reader holds the device count. */
	WRITE_ONCE(ring->wake_slots, 0);
	WRITE_ONCE(ring->wake_pending, false);
	smp_store_release(&ring->tail, smp_load_acquire(&ring->head));
	smp_store_release(&ring->active, 1);

	file->private_data = ring;
	return nonseekable_open(inode, file);

out_release:
	clear_bit_unlock(0, &ring->busy);
	pval_rings_put(ring->rings);
	return err;
out_unlock:
	mutex_unlock(&pval_rings_lock);
	return err;
}

static int pval_ring_release(struct inode *inode, struct file *file)
{
	struct pval_ring *ring = file->private_data;

	smp_store_release(&ring->active, 0);
	clear_bit_unlock(0, &ring->busy);
	pval_rings_put(ring->rings);
	return 0;
}

/* Start of the current segment of a user-backed iterator. */
static void __user *pval_iter_user_addr(const struct iov_iter *i)
{
	return iter_iov_addr(i);
}

/*
 * One slot to user memory: word moves inside one user access window.
 * copy_to_iter() would check the source object (hardened usercopy) and use
 * rep movsb, which emulators (QEMU TCG) execute byte by byte, for each slot.
 */
static int pval_ring_put_slot(void __user *dst, const struct pval_slot *slot, size_t len)
{
	if (!user_access_begin(dst, len))
		return -EFAULT;
	unsafe_copy_to_user(dst, (const char *)slot, len, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Copy slots [tail, head) into @to.  Each iovec segment gets as many whole
 * slots as fit, or one truncated slot when it is shorter than a slot; what
 * is left of a segment after its whole slots stays unused.  read() with one
 * buffer of k slots thus gets up to k slots.  Only the header and the len
 * bytes of the frame are written; the rest of each slot-sized area is
 * skipped, not cleared.
 */
static ssize_t pval_ring_copy_out(struct pval_ring *ring, struct iov_iter *to)
{
	bool user = user_backed_iter(to);
	u32 head, tail;
	ssize_t n = 0;

	if (user)
		might_fault();
	head = smp_load_acquire(&ring->head);
	tail = ring->tail;
	while (tail != head && iov_iter_count(to)) {
		const struct pval_slot *slot = &ring->slots[tail & ring->mask];
		size_t seg, area, used, skip;

		seg = iov_iter_single_seg_count(to);
		if (!seg) {
			iov_iter_advance(to, 0);	/* step over empty segments */
			continue;
		}
		area = min(seg, PVAL_SLOT_SIZE);
		used = min(area, offsetof(struct pval_slot, pkt) + slot->len);
		if (user) {
			if (pval_ring_put_slot(pval_iter_user_addr(to), slot, used))
				break;
			skip = area;
		} else {
			if (copy_to_iter(slot, used, to) != used)
				break;
			skip = area - used;
		}
		if (seg > area && seg - area < PVAL_SLOT_SIZE)
			skip += seg - area;
		if (skip)
			iov_iter_advance(to, skip);
		tail++;
		n++;
		/* Slots are handed back to the producer as they are copied, a
		 * batch at a time: a read of a nearly full ring would otherwise
		 * keep it full, and drop what arrives, until the last slot is
		 * copied.
		 */
		if (!(n % PVAL_RING_RELEASE_BATCH))
			smp_store_release(&ring->tail, tail);
	}
	if (!n)
		return head == tail ? 0 : -EFAULT;

	smp_store_release(&ring->tail, tail);
	u64_stats_update_begin(&ring->csync);
	u64_stats_add(&ring->read, n);
	u64_stats_update_end(&ring->csync);
	return n;
}

/*
 * readv()/read(): the slots waiting in the ring, 0 when it is empty, never a
 * sleep (with or without O_NONBLOCK): poll() is how a reader waits.  Once
 * the link is gone and the ring drained, -ENODEV, so a reader tells "empty"
 * from "gone"; poll() reports EPOLLERR | EPOLLHUP from then on.
 */
static ssize_t pval_ring_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct pval_ring *ring = iocb->ki_filp->private_data;
	bool dead;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;

	/* Looked at before the ring: the slots that are there when the
	 * reader learns that the link is gone still come before -ENODEV.
	 */
	dead = READ_ONCE(ring->rings->dead);
	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (!mutex_trylock(&ring->read_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&ring->read_lock)) {
		return -ERESTARTSYS;
	}
	ret = pval_ring_copy_out(ring, to);
	mutex_unlock(&ring->read_lock);
	if (!ret && dead)
		return -ENODEV;
	return ret;
}

static __poll_t pval_ring_poll(struct file *file, poll_table *wait)
{
	struct pval_ring *ring = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ring->wait, wait);
	pval_ring_reader_rearm(ring);
	if (!pval_ring_empty(ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(ring->rings->dead))
		mask |= EPOLLERR | EPOLLHUP;
	return mask;
}

static long pval_ring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pval_ring *ring = file->private_data;
	u32 __user *slotsp = (u32 __user *)arg;
	struct pval_ring_stats st;
	u32 slots;

	switch (cmd) {
	case PVAL_IOC_RING_STATS:
		pval_ring_stats(ring, &st);
		if (copy_to_user((void __user *)arg, &st, sizeof(st)))
			return -EFAULT;
		return 0;
	case PVAL_IOC_SET_WAKE_SLOTS:
		if (get_user(slots, slotsp))
			return -EFAULT;
		/* Read by the producer on its next copy. */
		WRITE_ONCE(ring->wake_slots, slots);
		return 0;
	case PVAL_IOC_GET_WAKE_SLOTS:
		return put_user(max(pval_ring_wake_fill(ring), 1U), slotsp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pval_ring_fops = {
	.owner		= THIS_MODULE,
	.open		= pval_ring_open,
	.release	= pval_ring_release,
	.read_iter	= pval_ring_read_iter,
	.poll		= pval_ring_poll,
	.unlocked_ioctl	= pval_ring_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* Devices. */

static int pval_ring_dev_add(struct pval_ring *ring)
{
	struct device *dev;

	dev = device_create(&pval_ring_class, NULL, ring->devt, ring, "%s-%s-cpu-%u",
			    ring->rings->ifname, pval_dir_name[ring->dir], ring->cpu);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ring->dev = dev;
	return 0;
}

static void pval_ring_dev_del(struct pval_ring *ring)
{
	if (ring->dev) {
		device_unregister(ring->dev);
		ring->dev = NULL;
	}
}

static struct pval_ring *pval_ring_alloc(struct pval_rings *rings, enum pval_dir dir,
					 unsigned int cpu)
{
	struct pval_ring *ring;

	ring = kzalloc_node(sizeof(*ring), GFP_KERNEL_ACCOUNT, cpu_to_node(cpu));
	if (!ring)
		return NULL;
	ring->rings = rings;
	ring->dir = dir;
	ring->cpu = cpu;
	ring->mask = rings->nslots - 1;
	u64_stats_init(&ring->psync);
	u64_stats_init(&ring->csync);
	mutex_init(&ring->read_lock);
	init_waitqueue_head(&ring->wait);
	timer_setup(&ring->timer, pval_ring_timer, TIMER_PINNED);
	return ring;
}

static void pval_ring_free(struct pval_ring *ring)
{
	timer_shutdown_sync(&ring->timer);
	kvfree(ring->slots);
	kfree(ring);
}

/* Minor, cdev and device of @ring.  Under pval_rings_lock. */
static int pval_ring_register(struct pval_ring *ring, struct netlink_ext_ack *extack)
{
	int minor, err;

	minor = ida_alloc_max(&pval_ring_ida, max_devices - 1, GFP_KERNEL);
	if (minor < 0) {
		NL_SET_ERR_MSG_MOD(extack, "No character device left in /dev/pval (2 per CPU and link; raise the max_devices module parameter)");
		return minor;
	}
	ring->devt = MKDEV(MAJOR(pval_ring_devt), minor);

	ring->cdev = cdev_alloc();
	if (!ring->cdev) {
		err = -ENOMEM;
		goto out_free_minor;
	}
	ring->cdev->owner = THIS_MODULE;
	ring->cdev->ops = &pval_ring_fops;

	err = xa_insert(&pval_ring_minors, minor, ring, GFP_KERNEL);
	if (err)
		goto out_put_cdev;

	err = cdev_add(ring->cdev, ring->devt, 1);
	if (err)
		goto out_erase_minor;

	err = pval_ring_dev_add(ring);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "Cannot create the character device in /dev/pval");
		goto out_del_cdev;
	}
	return 0;

out_del_cdev:
	cdev_del(ring->cdev);
	ring->cdev = NULL;
	goto out_erase_minor;
out_put_cdev:
	kobject_put(&ring->cdev->kobj);
	ring->cdev = NULL;
out_erase_minor:
	xa_erase(&pval_ring_minors, minor);
out_free_minor:
	ida_free(&pval_ring_ida, minor);
	return err;
}

/* Undo pval_ring_register(); open files keep the cdev until they close. */
static void pval_ring_unregister(struct pval_ring *ring)
{
	pval_ring_dev_del(ring);
	cdev_del(ring->cdev);
	ring->cdev = NULL;
	xa_erase(&pval_ring_minors, MINOR(ring->devt));
	ida_free(&pval_ring_ida, MINOR(ring->devt));
}

static void pval_rings_free(struct pval_rings *rings)
{
	unsigned int cpu;
	int dir;

	for (dir = PVAL_DIR_TX; dir <= PVAL_DIR_RX; dir++) {
		if (!rings->ring[dir])
			continue;
		for_each_possible_cpu(cpu)
			if (rings->ring[dir][cpu])
				pval_ring_free(rings->ring[dir][cpu]);
		kfree(rings->ring[dir]);
	}
	kfree(rings);
}

static void pval_rings_free_work(struct work_struct *work)
{
	pval_rings_free(container_of(to_rcu_work(work), struct pval_rings, free_work));
}

static void pval_rings_last_put(struct kref *ref)
{
	struct pval_rings *rings = container_of(ref, struct pval_rings, ref);

	/* After a grace period no datapath holds the pointer any more. */
	queue_rcu_work(pval_ring_wq, &rings->free_work);
}

static void pval_rings_put(struct pval_rings *rings)
{
	kref_put(&rings->ref, pval_rings_last_put);
}

/* Is @name used by the devices of a link other than @self?  Device names
 * end in -{tx,rx}-cpu-<digits>, so two links clash exactly when their
 * interface names are equal.
 */
static bool pval_rings_name_taken(const char *name, const struct pval_rings *self)
{
	struct pval_rings *other;

	lockdep_assert_held(&pval_rings_lock);
	list_for_each_entry(other, &pval_rings_list, node)
		if (other != self && !strcmp(other->ifname, name))
			return true;
	return false;
}

struct pval_rings *pval_rings_create(struct net_device *dev, u32 nslots,
				     struct netlink_ext_ack *extack)
{
	struct pval_rings *rings;
	struct pval_ring *ring;
	unsigned int cpu;
	int dir, err;

	ASSERT_RTNL();
	if (!nslots)
		nslots = READ_ONCE(ring_slots);
	if (!is_power_of_2(nslots) || nslots < PVAL_RING_SLOTS_MIN ||
	    nslots > PVAL_RING_SLOTS_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "Ring size must be a power of two in "
				   __stringify(PVAL_RING_SLOTS_MIN) ".."
				   __stringify(PVAL_RING_SLOTS_MAX) " slots");
		return ERR_PTR(-EINVAL);
	}

	rings = kzalloc(sizeof(*rings), GFP_KERNEL_ACCOUNT);
	if (!rings)
		return ERR_PTR(-ENOMEM);
	kref_init(&rings->ref);
	INIT_RCU_WORK(&rings->free_work, pval_rings_free_work);
	rings->nslots = nslots;
	strscpy(rings->ifname, dev->name, sizeof(rings->ifname));
	for (dir = PVAL_DIR_TX; dir <= PVAL_DIR_RX; dir++) {
		rings->ring[dir] = kcalloc(nr_cpu_ids, sizeof(*rings->ring[dir]),
					   GFP_KERNEL_ACCOUNT);
		if (!rings->ring[dir])
			goto out_free_rings;
		for_each_possible_cpu(cpu) {
			rings->ring[dir][cpu] = pval_ring_alloc(rings, dir, cpu);
			if (!rings->ring[dir][cpu])
				goto out_free_rings;
		}
	}

	mutex_lock(&pval_rings_lock);
	if (pval_rings_name_taken(rings->ifname, NULL)) {
		NL_SET_ERR_MSG_MOD(extack, "Interface name already used in /dev/pval by a pval link in another network namespace");
		err = -EEXIST;
		goto out_unlock;
	}
	pval_for_each_ring(rings, ring, dir, cpu) {
		err = pval_ring_register(ring, extack);
		if (err)
			goto out_unregister;
	}
	list_add(&rings->node, &pval_rings_list);
	mutex_unlock(&pval_rings_lock);
	return rings;

out_unregister:
	pval_for_each_ring(rings, ring, dir, cpu)
		if (ring->cdev)
			pval_ring_unregister(ring);
out_unlock:
	mutex_unlock(&pval_rings_lock);
	pval_rings_free(rings);
	return ERR_PTR(err);

out_free_rings:
	pval_rings_free(rings);
	return ERR_PTR(-ENOMEM);
}

void pval_rings_destroy(struct pval_rings *rings)
{
	struct pval_ring *ring;
	unsigned int cpu;
	int dir;

	mutex_lock(&pval_rings_lock);
	WRITE_ONCE(rings->dead, true);
	list_del(&rings->node);
	pval_for_each_ring(rings, ring, dir, cpu)
		pval_ring_unregister(ring);
	mutex_unlock(&pval_rings_lock);

	/* Readers in read or poll see dead and return ENODEV / EPOLLERR. */
	pval_for_each_ring(rings, ring, dir, cpu)
		wake_up_interruptible_poll(&ring->wait, EPOLLIN | EPOLLERR | EPOLLHUP);

	pval_rings_put(rings);
}

int pval_rings_rename(struct pval_rings *rings, struct net_device *dev)
{
	struct pval_ring *ring;
	unsigned int cpu;
	int dir, err = 0;

	ASSERT_RTNL();
	mutex_lock(&pval_rings_lock);
	if (!strcmp(rings->ifname, dev->name))
		goto out_unlock;
	/* The devices are global, as at creation (pval_newlink()). */
	if (!capable(CAP_NET_ADMIN)) {
		netdev_warn(dev, "rename refused: renaming a pval link needs CAP_NET_ADMIN in the initial user namespace\n");
		err = -EPERM;
		goto out_unlock;
	}
	if (pval_rings_name_taken(dev->name, rings)) {
		netdev_warn(dev, "rename refused: /dev/pval/%s-* is used by a pval link in another network namespace\n",
			    dev->name);
		err = -EEXIST;
		goto out_unlock;
	}

	/* Open files keep working: they hold the cdev, not the node. */
	pval_for_each_ring(rings, ring, dir, cpu)
		pval_ring_dev_del(ring);
	strscpy(rings->ifname, dev->name, sizeof(rings->ifname));
	pval_for_each_ring(rings, ring, dir, cpu) {
		int ret = pval_ring_dev_add(ring);

		if (ret && !err) {
			netdev_warn(dev, "rename refused: cannot create /dev/pval/%s-%s-cpu-%u (%d)\n",
				    dev->name, pval_dir_name[dir], cpu, ret);
			err = ret;
		}
	}
out_unlock:
	mutex_unlock(&pval_rings_lock);
	return err;
}

int pval_rings_module_init(void)
{
	int err;

	if (!is_power_of_2(ring_slots) || ring_slots < PVAL_RING_SLOTS_MIN ||
	    ring_slots > PVAL_RING_SLOTS_MAX) {
		pr_err("pval: ring_slots=%u is not a power of two in %u..%u\n",
		       ring_slots, PVAL_RING_SLOTS_MIN, PVAL_RING_SLOTS_MAX);
		return -EINVAL;
	}

	if (max_devices < 2 || max_devices > MINORMASK) {
		pr_err("pval: max_devices=%u is not in 2..%u\n", max_devices, MINORMASK);
		return -EINVAL;
	}

	pval_ring_wq = alloc_workqueue("pval_ring", WQ_PERCPU, 0);
	if (!pval_ring_wq)
		return -ENOMEM;

	err = alloc_chrdev_region(&pval_ring_devt, 0, max_devices, "pval");
	if (err)
		goto out_destroy_wq;

	err = class_register(&pval_ring_class);
	if (err)
		goto out_unregister_region;
	return 0;

out_unregister_region:
	unregister_chrdev_region(pval_ring_devt, max_devices);
out_destroy_wq:
	destroy_workqueue(pval_ring_wq);
	return err;
}

void pval_rings_module_exit(void)
{
	class_unregister(&pval_ring_class);
	unregister_chrdev_region(pval_ring_devt, max_devices);
	/* Let pending frees of the last links run before the code goes. */
	rcu_barrier();
	destroy_workqueue(pval_ring_wq);
	ida_destroy(&pval_ring_ida);
}
